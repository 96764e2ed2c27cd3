import Testing

@Test func placeholder_CertLoadTests() {}
