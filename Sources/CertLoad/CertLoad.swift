// `CertLoad` module.
