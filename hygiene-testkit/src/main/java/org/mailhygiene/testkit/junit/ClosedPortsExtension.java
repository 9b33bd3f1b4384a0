package org.mailhygiene.testkit.junit;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.mailhygiene.testkit.ClosedPort;

/**
 * Hands out {@link ClosedPort}s (loopback ports where nothing listens, and nothing can start listening meanwhile) and
 * releases them after each test, also when it fails. Register it as an instance field:
 *
 * <pre>{@code
 * @RegisterExtension
 * final ClosedPortsExtension closedPorts = new ClosedPortsExtension();
 * ...
 * int down = closedPorts.reserve(); // a connection to 127.0.0.1:down is refused
 * }</pre>
 *
 * <p>Thread-safe: tests running at once may reserve from one instance; each port is released after the test that
 * follows its reservation ends (with one instance per test class instance, the test that reserved it).
 */
public final class ClosedPortsExtension implements AfterEachCallback {
    private final List<ClosedPort> held = new ArrayList<>();

    /** Creates the extension; register it with {@code @RegisterExtension}. */
    public ClosedPortsExtension() {}

    /**
     * Reserves a loopback port where nothing listens, held until the test ends.
     *
     * @return the TCP port on 127.0.0.1
     * @throws java.io.UncheckedIOException if no port could be bound
     */
    public int reserve() {
        ClosedPort p = ClosedPort.reserve();
        synchronized (held) {
            held.add(p);
        }
        return p.port();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<ClosedPort> release;
        synchronized (held) {
            release = new ArrayList<>(held);
            held.clear();
        }
        release.forEach(ClosedPort::close);
    }
}
