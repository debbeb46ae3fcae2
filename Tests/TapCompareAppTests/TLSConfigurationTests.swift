import Foundation
import Testing
import TapCompareMirroring
import TapCompareProxy
import TapCompareTestSupport
@testable import TapCompareApp

/// `tls:` and `upstream_tls:` in the configuration file: how they read, and how a wrong file is reported.
@Suite struct TLSConfigurationTests {
    static func load(_ yaml: String) throws(ConfigurationError) -> ServeConfiguration {
        let c = try ConfigurationLoader.load(yaml: yaml, file: "tap.yml")
        return try ConfigurationOverrides().apply(to: c, file: "tap.yml")
    }

    @Test func listenerAndPerUpstreamSettingsAreRead() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let c = try Self.load("""
            legacy: https://legacy.internal:8443
            candidate: https://10.0.0.7
            secondary: https://legacy-2.internal
            tls:
              certificate: \(certificates.certificateFile)
              key: \(certificates.keyFile)
            upstream_tls:
              legacy:
                ca_file: \(certificates.caFile)
              candidate:
                insecure: true
            """)
        #expect(c.tls == ListenerTLS(certificatePath: certificates.certificateFile, keyPath: certificates.keyFile))
        #expect(c.legacy?.usesTLS == true)
        #expect(c.legacy?.port == 8443)
        #expect(c.candidate?.port == 443)
        #expect(c.upstreamTLS.legacy == UpstreamTLS(caFile: certificates.caFile))
        #expect(c.upstreamTLS.candidate == UpstreamTLS(insecure: true))
        // The secondary is another legacy instance: it inherits legacy's setting unless given its own.
        #expect(c.upstreamTLS.secondary == nil)
        #expect(c.upstreamTLS.effectiveSecondary == UpstreamTLS(caFile: certificates.caFile))

        let warnings = StartupReporter.insecureTLSWarnings(c)
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("TLS CERTIFICATE VERIFICATION IS OFF for candidate https://10.0.0.7 (upstream_tls.candidate.insecure: true)") == true)
        #expect(StartupReporter.describe(c.candidate!, tls: c.upstreamTLS.candidate) == "https://10.0.0.7 (TLS INSECURE: certificate not verified)")
        #expect(StartupReporter.describe(c.legacy!, tls: c.upstreamTLS.legacy) == "https://legacy.internal:8443 (TLS verified against ca_file \(certificates.caFile))")
    }

    @Test func theExampleFileDocumentsTheDefaults() throws {
        let c = try ConfigurationLoader.load(file: ConfigurationLoaderTests.repoRoot + "/tapcompare.example.yml")
        #expect(c.tls == nil)
        #expect(c.upstreamTLS.legacy == UpstreamTLS())
        #expect(c.upstreamTLS.candidate == UpstreamTLS())
        #expect(c.upstreamTLS.secondary == nil)
    }

    @Test func defaultsArePlainListenerAndTheSystemTrustStore() throws {
        let c = try Self.load("legacy: https://legacy.internal\n")
        #expect(c.tls == nil)
        #expect(c.upstreamTLS.legacy == UpstreamTLS())
        #expect(c.upstreamTLS.legacy.insecure == false)
        #expect(StartupReporter.insecureTLSWarnings(c).isEmpty)
        #expect(StartupReporter.describe(c.legacy!, tls: c.upstreamTLS.legacy) == "https://legacy.internal (TLS verified against the system trust store)")
    }

    @Test func missingCertificateAndKeyFilesNameTheKeyTheFileAndTheFix() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let missing = certificates.directory + "/nope.pem"
        let certificateError = #expect(throws: ConfigurationError.self) {
            try Self.load("legacy: http://a:1\ntls:\n  certificate: \(missing)\n  key: \(certificates.keyFile)\n")
        }
        #expect(certificateError?.description == "tap.yml: tls.certificate: '\(missing)': no such file; give the PEM file of the listener's certificate (then any intermediates)")

        let keyError = #expect(throws: ConfigurationError.self) {
            try Self.load("legacy: http://a:1\ntls:\n  certificate: \(certificates.certificateFile)\n  key: \(missing)\n")
        }
        #expect(keyError?.description == "tap.yml: tls.key: '\(missing)': no such file; give the PEM file of the certificate's private key")
    }

    @Test func aKeyOfAnotherCertificateIsRefused() async throws {
        let certificates = try await TestCertificates()
        let other = try await TestCertificates()
        defer { certificates.remove(); other.remove() }
        let error = #expect(throws: ConfigurationError.self) {
            try Self.load("legacy: http://a:1\ntls:\n  certificate: \(certificates.certificateFile)\n  key: \(other.keyFile)\n")
        }
        #expect(error?.issues.first?.key == "tls.key")
        #expect(error?.description.contains("does not match the certificate in '\(certificates.certificateFile)'") == true)
    }

    @Test func aCertificateFileThatIsNotPEMIsRefused() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let error = #expect(throws: ConfigurationError.self) {
            // The key file where the certificate should be.
            try Self.load("legacy: http://a:1\ntls:\n  certificate: \(certificates.keyFile)\n  key: \(certificates.keyFile)\n")
        }
        #expect(error?.issues.first?.key == "tls.certificate")
        #expect(error?.description.contains("holds no certificate") == true || error?.description.contains("not a PEM certificate file") == true)
    }

    @Test func unusableCAFilesNameTheUpstream() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        let garbage = certificates.directory + "/garbage.pem"
        try "this is not a certificate\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let missing = certificates.directory + "/missing-ca.pem"
        let error = #expect(throws: ConfigurationError.self) {
            try Self.load("""
                legacy: https://a:1
                candidate: https://b:2
                upstream_tls:
                  legacy: { ca_file: \(missing) }
                  candidate: { ca_file: \(garbage) }
                  secondary: { ca_file: \(certificates.directory) }
                """)
        }
        let issues = error?.issues ?? []
        #expect(issues.map(\.key) == ["upstream_tls.legacy.ca_file", "upstream_tls.candidate.ca_file", "upstream_tls.secondary.ca_file"])
        #expect(issues.first?.message == "'\(missing)': no such file; give a PEM file of the CA certificates that sign legacy's certificate")
        #expect(issues.dropFirst().first?.message.hasPrefix("'\(garbage)': ") == true)
        #expect(issues.last?.message.contains("is a directory") == true)
    }

    @Test func contradictionsAndIncompleteBlocksAreRefused() {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(yaml: """
                legacy: https://a:1
                tls:
                  certificate: /etc/tapcompare/cert.pem
                upstream_tls:
                  candidate:
                    ca_file: /etc/ca.pem
                    insecure: true
                  candiate: {}
                """, file: "tap.yml")
        }
        let text = error?.description ?? ""
        #expect(text.contains("tls.key: TLS on the listener needs both 'certificate: CERT.pem' and 'key: KEY.pem'"))
        #expect(text.contains("upstream_tls.candidate.insecure: 'insecure: true' verifies nothing, so 'ca_file' would be ignored; keep one of them"))
        #expect(text.contains("upstream_tls.candiate: unknown key; did you mean 'candidate'?"))
    }

    @Test func httpsIsAcceptedOnTheCommandLine() throws {
        let base = try ConfigurationLoader.load(yaml: "", file: "f.yml")
        let c = try ConfigurationOverrides(legacy: "https://legacy.internal", candidate: "https://127.0.0.1:8443").apply(to: base, file: "f.yml")
        #expect(c.legacy?.description == "https://legacy.internal")
        #expect(c.candidate?.tlsServerName == nil)
    }
}
