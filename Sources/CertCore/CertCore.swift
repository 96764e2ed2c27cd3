// `CertCore`: the certification rules as pure values — item bank, capacity estimation,
// challenge selection, scoring. No I/O except loading a bank file; randomness only from
// `SeededRandom`; time only as seconds passed in by the caller.
