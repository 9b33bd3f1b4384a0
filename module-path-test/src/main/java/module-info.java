/**
 * A downstream application of Mail Hygiene on the module path: it names only the modules a user would name, so a
 * module that the published modules forget to require (directly or for an automatic module) fails here.
 */
module org.mailhygiene.modulepathtest {
    requires org.mailhygiene.api;
    requires org.mailhygiene.scanners;
    requires org.mailhygiene.testkit;
    requires org.mailhygiene.smtp;
}
