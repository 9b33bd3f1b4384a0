package org.mailhygiene.internal;

/**
 * Checks of IPv4 addresses as configuration files and options write them. Stateless; thread-safe.
 */
public final class Ipv4 {
    private Ipv4() {}

    /**
     * What is wrong with a dotted IPv4 address that has a number with a leading zero ({@code 127.0.0.010}): Java's
     * {@code InetAddress} and this project read its numbers as decimal (127.0.0.10), {@code inet_aton} (ping, the BSD
     * tools, qmail's {@code tcprules} matches the text) as octal (127.0.0.8) or not at all, so such an address means
     * different hosts to different programs.
     *
     * @param text an address as written (anything but four dot-separated runs of digits is not checked)
     * @return the problem as a sentence naming the address and its decimal reading, or {@code null} when there is none
     */
    public static String leadingZeroProblem(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        boolean zero = false;
        StringBuilder decimal = new StringBuilder();
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            zero |= p.length() > 1 && p.charAt(0) == '0';
            decimal.append(decimal.length() == 0 ? "" : ".").append(Integer.parseInt(p));
        }
        if (!zero) {
            return null;
        }
        return "'" + text + "' has a number with a leading zero, which some programs read as octal (010 as 8): write it"
                + " without leading zeros (" + decimal + " if the numbers are decimal)";
    }
}
