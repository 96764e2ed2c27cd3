import Testing

@Test func placeholder_CertStoreTests() {}
