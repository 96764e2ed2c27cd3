// `CertCore` module.
