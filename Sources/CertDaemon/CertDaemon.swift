// `CertDaemon` module.
