/**
 * A milter (Sendmail mail filter protocol, version 6 with fallback to 2) server that runs the Mail Hygiene
 * {@code ScanPipeline} inside Postfix or Sendmail, and the protocol codec it is built on.
 */
module org.mailhygiene.milter {
    requires transitive org.mailhygiene.api;
    requires transitive org.mailhygiene.scanners;
    requires org.slf4j;
    requires jdk.net;

    exports org.mailhygiene.milter;
    exports org.mailhygiene.milter.protocol;
}
