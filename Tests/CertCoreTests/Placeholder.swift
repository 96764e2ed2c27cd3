import Testing

@Test func placeholder_CertCoreTests() {}
