package org.mailhygiene.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.auth.AuthScanner;
import org.mailhygiene.scanners.auth.dns.StubResolver;

/**
 * {@code --auth}: the sender-authentication scanner ({@link AuthScanner}: SPF, DKIM, ARC and DMARC). It asks the DNS
 * server given with {@code --dns IP:PORT} (default the system's {@code /etc/resolv.conf}); SPF needs the SMTP context,
 * given with {@code --client-ip}, {@code --helo} and {@code --mail-from}. Stateless.
 */
public final class AuthScannerOption implements ScannerOption {

    /** Creates the option. */
    public AuthScannerOption() {}

    @Override
    public String flag() {
        return "--auth";
    }

    @Override
    public Optional<String> argumentName() {
        return Optional.empty();
    }

    @Override
    public String description() {
        return "sender authentication: SPF, DKIM, ARC, DMARC (see --dns)";
    }

    @Override
    public Scanner create(Optional<String> argument) {
        return create(ScanSettings.DEFAULTS);
    }

    @Override
    public List<Scanner> createAll(List<Optional<String>> arguments, ScanSettings settings) {
        List<Scanner> out = new ArrayList<>();
        for (int i = 0; i < arguments.size(); i++) {
            out.add(create(settings));
        }
        return out;
    }

    private static Scanner create(ScanSettings settings) {
        StubResolver.Builder dns = StubResolver.builder();
        settings.dns().ifPresent(dns::server);
        return AuthScanner.builder().dns(dns.build()).build();
    }
}
