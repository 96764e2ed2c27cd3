// `CertStore` module.
