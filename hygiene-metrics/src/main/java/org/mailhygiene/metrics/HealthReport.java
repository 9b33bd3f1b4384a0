package org.mailhygiene.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Scanner;

/**
 * What {@code /health} answers: whether the service can accept mail now, and the state of each part it depends on.
 *
 * <p>Immutable and thread-safe.
 *
 * @param accepting {@code true} when mail can be accepted; {@code /health} answers 200 then, 503 otherwise
 * @param components one entry per scanner, queue or other part, in a stable order
 */
public record HealthReport(boolean accepting, List<Component> components) {

    /** A component's state. */
    public enum State {
        /** Working. */
        UP,
        /** Not working. */
        DOWN,
        /** Not probed (an in-process scanner has no probe). */
        UNKNOWN
    }

    /**
     * One part the service depends on.
     *
     * @param name e.g. {@code scanner:clamd} or {@code queue}
     * @param state its state
     * @param detail a short human-readable detail, e.g. {@code PONG} or {@code 12 messages, oldest 3s}
     */
    public record Component(String name, State state, String detail) {
        /**
         * Validates the components.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Component {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(detail, "detail");
        }

        /**
         * The component {@code scanner:NAME} for a scanner, from its {@link Scanner#health()}: {@code UP} and
         * {@code DOWN} as reported, anything else {@code UNKNOWN}; a {@code health()} that throws is {@code DOWN} with
         * the exception as detail. The relay's and the milter's {@code /health} build their scanner entries with it.
         *
         * @param scanner the scanner
         * @return its component
         * @throws NullPointerException if {@code scanner} is {@code null}
         */
        public static Component ofScanner(Scanner scanner) {
            Health h;
            try {
                h = scanner.health();
            } catch (RuntimeException e) {
                h = Health.down(String.valueOf(e), Duration.ZERO);
            }
            State state = switch (h.status()) {
                case UP -> State.UP;
                case DOWN -> State.DOWN;
                default -> State.UNKNOWN;
            };
            return new Component("scanner:" + scanner.name(), state, h.detail());
        }
    }

    /**
     * Validates and copies.
     *
     * @throws NullPointerException if {@code components} is {@code null}
     */
    public HealthReport {
        components = List.copyOf(Objects.requireNonNull(components, "components"));
    }

    /**
     * The report as one JSON object: {@code {"status":"UP"|"DOWN","components":[{"name":..,"state":..,"detail":..}]}}.
     *
     * @return the JSON text
     */
    public String toJson() {
        StringBuilder sb = new StringBuilder(128);
        sb.append("{\"status\":\"").append(accepting ? "UP" : "DOWN").append("\",\"components\":[");
        for (int i = 0; i < components.size(); i++) {
            Component c = components.get(i);
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"name\":");
            string(sb, c.name());
            sb.append(",\"state\":\"").append(c.state().name()).append("\",\"detail\":");
            string(sb, c.detail());
            sb.append('}');
        }
        return sb.append("]}").toString();
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        sb.append('"');
    }
}
