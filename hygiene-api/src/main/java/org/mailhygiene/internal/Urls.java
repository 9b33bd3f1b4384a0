package org.mailhygiene.internal;

import java.util.Objects;

/**
 * URLs as error messages, log lines and command output quote them: without passwords. Stateless and thread-safe.
 */
public final class Urls {

    private Urls() {}

    /**
     * The text of a URL (or of something meant to be one) with its secrets replaced by {@code ***}: the password of the
     * user part, which ends at the <em>last</em> {@code @} (a password may hold {@code /}, {@code ?} or {@code @}
     * unencoded), the whole user part when it has no colon (as {@code redis://PASSWORD@HOST} has it), and every query
     * value but {@code prefix=}, {@code cacert=} and {@code sentinel-user=} (a {@code sentinel-password=}, also a
     * misspelt one). An {@code @} in a query value hides a little more than needed.
     *
     * @param url the text, not null
     * @return the text without its secrets; the same text when it has none
     */
    public static String withoutPasswords(String url) {
        Objects.requireNonNull(url, "url");
        int scheme = url.indexOf("://");
        int start = scheme < 0 ? 0 : scheme + 3;
        String r = url;
        int at = r.lastIndexOf('@');
        if (at >= start) {
            int colon = r.indexOf(':', start);
            String user = colon >= 0 && colon < at ? r.substring(start, colon) : "";
            r = r.substring(0, start) + user + ":***" + r.substring(at);
        }
        return r.replaceAll("(?i)([?&](?!prefix=|cacert=|sentinel-user=)[^=&]*=)[^&]*", "$1***");
    }
}
