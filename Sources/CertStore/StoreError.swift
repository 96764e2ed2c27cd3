import CertCore

/// A refusal or failure of the result store: a `STORE_*` code of the catalogue and a sentence
/// naming the store file when the failure concerns the file itself.
///
/// Owned by CertStore; every public CertStore call that can fail throws it, so the daemon puts
/// the same code on HTTP, on the control socket and in the CLI. Only `STORE_BUSY` (the writer's
/// pending queue is full) is retryable.
public typealias StoreError = CertError
