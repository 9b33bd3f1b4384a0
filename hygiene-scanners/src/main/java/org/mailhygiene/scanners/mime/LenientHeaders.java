package org.mailhygiene.scanners.mime;

import jakarta.mail.internet.ContentDisposition;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.ParameterList;
import jakarta.mail.internet.ParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses Content-Type and Content-Disposition the way mail clients do when Jakarta Mail's strict parser gives up:
 * unquoted parameter values holding special characters ({@code boundary=----=_NextPart_000}), parameters cut off in
 * the middle, stray semicolons. A header that only this parser understands is still reported as malformed by the
 * walker, but its type, boundary and file name are used, so content cannot hide behind a sloppy header.
 *
 * <p>Stateless and thread-safe.
 */
final class LenientHeaders {
    private static final String TOKEN = "[A-Za-z0-9!#$%&'*+.^_`{|}~-]+";
    private static final Pattern TYPE = Pattern.compile("^\\s*(" + TOKEN + ")\\s*/\\s*(" + TOKEN + ")");
    private static final Pattern DISPOSITION = Pattern.compile("^\\s*(" + TOKEN + ")");
    private static final Pattern PARAM =
            Pattern.compile(";\\s*(" + TOKEN + ")\\s*=\\s*(\"(?:[^\"\\\\]|\\\\.)*\"?|[^;]*)");

    private LenientHeaders() {}

    /** A parsed header and whether the strict parser had to be bypassed. */
    record Parsed<T>(T value, boolean repaired) {}

    /**
     * Parses a Content-Type header value, strictly if possible, else leniently.
     *
     * @param header the unfolded value
     * @return the type, or empty when not even {@code type/subtype} can be found
     */
    static Optional<Parsed<ContentType>> contentType(String header) {
        try {
            return Optional.of(new Parsed<>(new ContentType(header), false));
        } catch (ParseException | RuntimeException e) {
            Matcher m = TYPE.matcher(header);
            if (!m.find()) {
                return Optional.empty();
            }
            ParameterList params = params(header.substring(m.end()));
            return Optional.of(new Parsed<>(
                    new ContentType(
                            m.group(1).toLowerCase(Locale.ROOT), m.group(2).toLowerCase(Locale.ROOT), params),
                    true));
        }
    }

    /**
     * Parses a Content-Disposition header value, strictly if possible, else leniently.
     *
     * @param header the unfolded value
     * @return the disposition, or empty when no disposition type can be found
     */
    static Optional<Parsed<ContentDisposition>> disposition(String header) {
        try {
            return Optional.of(new Parsed<>(new ContentDisposition(header), false));
        } catch (ParseException | RuntimeException e) {
            Matcher m = DISPOSITION.matcher(header);
            if (!m.find()) {
                return Optional.empty();
            }
            return Optional.of(new Parsed<>(
                    new ContentDisposition(m.group(1).toLowerCase(Locale.ROOT), params(header.substring(m.end()))),
                    true));
        }
    }

    private static ParameterList params(String rest) {
        ParameterList list = new ParameterList();
        Matcher p = PARAM.matcher(rest);
        while (p.find()) {
            String value = p.group(2).strip();
            if (value.startsWith("\"")) {
                value = value.substring(
                        1, value.endsWith("\"") && value.length() > 1 ? value.length() - 1 : value.length());
                value = value.replaceAll("\\\\(.)", "$1");
            }
            list.set(p.group(1).toLowerCase(Locale.ROOT), value);
        }
        return list;
    }
}
