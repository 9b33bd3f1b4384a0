package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;

/**
 * Where a key of a configuration file is, for the messages of {@code --check} about what a key names (a Redis that
 * refuses writes, a scanner daemon that does not answer): the file read again, as it was read a moment before.
 * Stateless.
 */
final class CheckLocations {
    private CheckLocations() {}

    /**
     * The file and the line of a key's first occurrence.
     *
     * @param config the configuration file
     * @param key the key
     * @return {@code FILE line N}, or {@code FILE} alone when the key or the file cannot be found now
     */
    static String line(Path config, String key) {
        try {
            int n = ConfigFile.read(config).lineOf(key);
            return n > 0 ? config + " line " + n : config.toString();
        } catch (IOException | ConfigException | RuntimeException e) {
            return config.toString(); // read a moment ago; if it cannot be read now, the message goes without its line
        }
    }

    /**
     * The file and the line of the {@code scanner} line that made a scanner, found by the scanner's name: the line
     * whose form ({@code clamd:...}, {@code spamd:...}, {@code command:PROFILE...}) the name starts with.
     *
     * @param config the configuration file
     * @param scanner the scanner's name ({@code clamd}, {@code spamd}, a profile's name), or a line that starts with
     *     it and a colon ({@code clamd: 0/1 up: ...})
     * @return {@code FILE line N}, or {@code FILE} alone when no line can be told
     */
    static String scannerLine(Path config, String scanner) {
        try {
            ConfigFile c = ConfigFile.read(config);
            String name = scanner.toLowerCase(Locale.ROOT);
            if (name.indexOf(':') > 0) {
                name = name.substring(0, name.indexOf(':'));
            }
            for (var e : c.lines("scanner")) {
                String v = e.getKey().strip().toLowerCase(Locale.ROOT);
                int colon = v.indexOf(':');
                String family = colon < 0 ? v : v.substring(0, colon).strip();
                String arg = colon < 0 ? "" : v.substring(colon + 1).strip();
                if (name.equals(family)
                        || (family.equals("vexira") && name.equals("vascan"))
                        || (family.equals("command") && (arg.equals(name) || arg.startsWith(name + ":")))) {
                    return config + " line " + e.getValue();
                }
            }
            return config.toString();
        } catch (IOException | ConfigException | RuntimeException e) {
            return config.toString();
        }
    }
}
