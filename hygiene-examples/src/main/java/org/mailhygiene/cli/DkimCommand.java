package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.List;
import java.util.Locale;
import org.mailhygiene.scanners.auth.DkimKeys;

/**
 * {@code hygiene dkim keygen}: generates a DKIM key pair, writes the private key as a PKCS#8 PEM file readable by its
 * owner only (for the node-config key {@code dkim-sign = DOMAIN:SELECTOR:KEY-FILE}), and prints the DNS TXT record
 * that publishes the public key. Stateless.
 */
public final class DkimCommand implements Command {

    /** Creates the command. */
    public DkimCommand() {}

    @Override
    public String name() {
        return "dkim";
    }

    @Override
    public String summary() {
        return "generate a DKIM signing key and print its DNS record";
    }

    @Override
    public String usage() {
        return "usage: hygiene dkim keygen --domain DOMAIN --selector SELECTOR --key FILE [--type rsa|ed25519]"
                + " [--bits N]\n\n"
                + "Generates a key pair, writes the private key to FILE (PKCS#8 PEM, mode 0600; an existing file is\n"
                + "never overwritten) and prints the TXT record to publish, e.g.\n"
                + "  sel1._domainkey.example.com. IN TXT ( \"v=DKIM1; k=rsa; p=MIIBIjAN...\" )\n"
                + "Use the key with the node-config line  dkim-sign = DOMAIN:SELECTOR:FILE\n\n"
                + "options:\n"
                + "  --type rsa|ed25519   key type (default rsa; ed25519 per RFC 8463, not yet verified by every\n"
                + "                       receiver, so sign with both if you use it)\n"
                + "  --bits N             RSA key size (default 2048, at least 1024)\n";
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            io.out().print(usage());
            return args.isEmpty() ? EXIT_ERROR : EXIT_OK;
        }
        if (!args.get(0).equals("keygen")) {
            throw new UsageException("unknown dkim subcommand " + args.get(0) + " (keygen)");
        }
        String domain = null;
        String selector = null;
        String key = null;
        String type = "rsa";
        int bits = 2048;
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            if (i + 1 >= args.size()) {
                throw new UsageException(a + " needs a value");
            }
            String v = args.get(++i);
            switch (a) {
                case "--domain" -> domain = org.mailhygiene.internal.Domains.ascii(v); // DNS holds A-labels
                case "--selector" -> selector = v;
                case "--key" -> key = v;
                case "--type" -> type = v.toLowerCase(Locale.ROOT);
                case "--bits" -> {
                    try {
                        bits = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        throw new UsageException("--bits wants a number, not " + v);
                    }
                }
                default -> throw new UsageException("unknown option " + a);
            }
        }
        if (domain == null || selector == null || key == null) {
            throw new UsageException("--domain, --selector and --key are required");
        }
        if (!domain.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")) {
            throw new UsageException("--domain: not a domain name: " + domain);
        }
        if (!selector.matches("[A-Za-z0-9]([A-Za-z0-9_-]*)(\\.[A-Za-z0-9][A-Za-z0-9_-]*)*")) {
            throw new UsageException("--selector: not a valid selector: " + selector);
        }
        // each bad value named by its flag (DkimKeys says "unknown key type dsa" and "RSA keys need at least 1024
        // bits", which named neither --type nor --bits)
        if (!type.equals("rsa") && !type.equals("ed25519")) {
            throw new UsageException("--type: unknown key type " + type + " (rsa or ed25519)");
        }
        if (type.equals("rsa") && bits < DkimKeys.MIN_RSA_BITS) {
            throw new UsageException(
                    "--bits: RSA keys need at least " + DkimKeys.MIN_RSA_BITS + " bits (RFC 8301), was " + bits);
        }
        KeyPair kp;
        try {
            kp = DkimKeys.generate(type, bits);
        } catch (GeneralSecurityException e) {
            throw new UsageException(e.getMessage());
        }
        Path file = Path.of(key);
        boolean created = false;
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            created = true;
            Files.writeString(
                    file, DkimKeys.toPem(kp.getPrivate()), StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            io.err().println("hygiene dkim: " + key + " exists; not overwritten");
            return EXIT_ERROR;
        } catch (IOException | UnsupportedOperationException e) {
            // the reason in words: a NoSuchFileException's message is the file's name, and the line read "cannot write
            // /no/dir/k.pem: /no/dir/k.pem" until session 49
            String reason = e instanceof IOException io2 ? org.mailhygiene.internal.IoErrors.reason(io2) : e.toString();
            if (created) {
                // a key file created but not written (a full disk) made the next run say "exists; not overwritten"
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    reason += " (and the empty file could not be removed: remove it)";
                }
            }
            io.err().println("hygiene dkim: cannot write " + key + ": " + reason);
            return EXIT_ERROR;
        }
        io.out().println(DkimKeys.dnsRecord(selector, domain, kp.getPublic()));
        return EXIT_OK;
    }
}
