package org.mailhygiene.scanners;

/** Build-skeleton placeholder (an exported package needs a public class for javac and javadoc); delete once real types exist. */
public final class Placeholder {
    private Placeholder() {}
}
