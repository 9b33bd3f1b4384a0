package org.mailhygiene.benchmarks.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.scanners.auth.ArcResult;
import org.mailhygiene.scanners.auth.ArcSealer;
import org.mailhygiene.scanners.auth.ArcVerifier;
import org.mailhygiene.scanners.auth.AuthStatus;
import org.mailhygiene.scanners.auth.DkimKeys;
import org.mailhygiene.scanners.auth.DkimResult;
import org.mailhygiene.scanners.auth.DkimSigner;
import org.mailhygiene.scanners.auth.DkimVerifier;
import org.mailhygiene.scanners.auth.HeaderSection;
import org.mailhygiene.scanners.auth.dns.DnsResolver;
import org.mailhygiene.scanners.auth.dns.DnsType;
import org.mailhygiene.scanners.auth.dns.StubResolver;
import org.mailhygiene.testkit.dns.FakeDnsServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * DKIM cost per message on one thread: verifying one signature of a 10 KB message with the key already in the DNS
 * cache (a {@link StubResolver} in front of a {@link FakeDnsServer}, warmed in setup), and signing the same message.
 * RSA 2048 and Ed25519 keys, relaxed/relaxed. The ARC pair: sealing the signed message (instance 1: an
 * ARC-Message-Signature over the message and an ARC-Seal, two private-key operations and one body hash) and validating
 * a sealed one (the message signature and the seal, two public-key operations, keys from the warm cache).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
public class DkimBenchmark {
    /** The key type. */
    @Param({"rsa", "ed25519"})
    public String keyType;

    private FakeDnsServer dns;
    private DnsResolver resolver;
    private DkimSigner signer;
    private DkimVerifier verifier;
    private byte[] message;
    private byte[] signed;
    private ArcSealer sealer;
    private ArcVerifier arcVerifier;
    private byte[] sealed;
    private static final String RESULTS = "gw.example.com; spf=pass smtp.mailfrom=alice@example.com; "
            + "dkim=pass header.d=example.com; arc=none; dmarc=pass header.from=example.com";

    /** Creates the benchmark state; JMH calls this. */
    public DkimBenchmark() {}

    /**
     * Generates the key, publishes it, builds a 10 KB message, signs it and warms the DNS cache.
     *
     * @throws Exception if setup fails
     */
    @Setup(Level.Trial)
    public void setUp() throws Exception {
        KeyPair kp = DkimKeys.generate(keyType, 2048);
        dns = FakeDnsServer.start();
        dns.txt(
                "bench._domainkey.example.com",
                "v=DKIM1; k=" + keyType + "; p=" + DkimKeys.publicKeyTag(kp.getPublic()));
        resolver = StubResolver.builder()
                .server(dns.address())
                .timeout(Duration.ofSeconds(5))
                .build();
        signer = DkimSigner.builder("example.com", "bench", kp.getPrivate()).build();
        verifier = new DkimVerifier(resolver, Clock.systemUTC());
        StringBuilder sb = new StringBuilder("From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n"
                + "Subject: Benchmark message\r\nDate: Wed, 2 Dec 2026 06:00:00 +0000\r\n"
                + "Message-ID: <bench@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n");
        while (sb.length() < 10 * 1024) {
            sb.append("The quick brown fox jumps over the lazy dog,  and\tsome   spaces  \r\n");
        }
        message = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        String sig = signer.sign(message).raw();
        signed = (sig + "\r\n" + sb).getBytes(StandardCharsets.ISO_8859_1);
        resolver.query("bench._domainkey.example.com", DnsType.TXT);
        if (verify().get(0).status() != AuthStatus.PASS) {
            throw new IllegalStateException("the benchmark message does not verify: " + verify());
        }
        sealer = ArcSealer.builder("example.com", "bench", kp.getPrivate()).build();
        arcVerifier = new ArcVerifier(resolver, verifier);
        ArcSealer.Sealing s = arcSeal();
        sealed = new byte[s.set().orElseThrow().bytes().length + signed.length];
        System.arraycopy(s.set().get().bytes(), 0, sealed, 0, s.set().get().bytes().length);
        System.arraycopy(signed, 0, sealed, s.set().get().bytes().length, signed.length);
        if (arcVerify().status() != AuthStatus.PASS) {
            throw new IllegalStateException("the sealed benchmark message does not verify: " + arcVerify());
        }
    }

    /** Stops the fake DNS server. */
    @TearDown(Level.Trial)
    public void tearDown() {
        dns.close();
    }

    /**
     * Verifies the signed message (key from the warm cache).
     *
     * @return the results
     * @throws IOException never (in-memory streams)
     */
    @Benchmark
    public List<DkimResult> verify() throws IOException {
        try (InputStream in = new ByteArrayInputStream(signed)) {
            HeaderSection h = HeaderSection.read(in, 1 << 20);
            return verifier.verify(h, in);
        }
    }

    /**
     * Seals the signed message (instance 1, {@code cv=none}).
     *
     * @return the new ARC set
     * @throws IOException never (in-memory streams)
     * @throws GeneralSecurityException never with a valid key
     */
    @Benchmark
    public ArcSealer.Sealing arcSeal() throws IOException, GeneralSecurityException {
        try (InputStream in = new ByteArrayInputStream(signed)) {
            return sealer.seal(in, RESULTS, AuthStatus.NONE);
        }
    }

    /**
     * Validates the ARC chain of the sealed message (keys from the warm cache).
     *
     * @return the result
     * @throws IOException never (in-memory streams)
     */
    @Benchmark
    public ArcResult arcVerify() throws IOException {
        try (InputStream in = new ByteArrayInputStream(sealed)) {
            HeaderSection h = HeaderSection.read(in, 1 << 20);
            return arcVerifier.verify(h, in);
        }
    }

    /**
     * Signs the unsigned message.
     *
     * @return the signature field
     * @throws GeneralSecurityException never with a valid key
     */
    @Benchmark
    public Object sign() throws GeneralSecurityException {
        return signer.sign(message);
    }
}
