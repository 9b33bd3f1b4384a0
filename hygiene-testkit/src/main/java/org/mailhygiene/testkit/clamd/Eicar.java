package org.mailhygiene.testkit.clamd;

import java.nio.charset.StandardCharsets;

/**
 * The EICAR anti-virus test string, assembled at run time from pieces so that no source or class file holds it whole
 * (workstation scanners would quarantine them). It is harmless by design: every scanner detects it.
 *
 * <p>Stateless and thread-safe.
 */
public final class Eicar {
    private static final String[] PIECES = {
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-", "ANTIVIRUS-TEST-", "FILE!$H+H*"
    };

    private Eicar() {}

    /**
     * The 68-byte test string.
     *
     * @return a new string
     */
    public static String string() {
        return String.join("", PIECES);
    }

    /**
     * The 68 bytes of the test string (ASCII).
     *
     * @return a new array
     */
    public static byte[] bytes() {
        return string().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The part of the string that ClamAV body signatures in the test kit match: {@code EICAR-STANDARD-ANTIVIRUS-TEST-FILE}.
     *
     * @return the marker text
     */
    public static String bodyMarker() {
        return PIECES[1] + PIECES[2] + "FILE";
    }
}
