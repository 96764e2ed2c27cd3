import Testing

@Test func placeholder_CertDaemonTests() {}
