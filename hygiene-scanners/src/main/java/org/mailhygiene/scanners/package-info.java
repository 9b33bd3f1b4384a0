/** Scanner implementations: clamd, spamd and file-type policy. */
package org.mailhygiene.scanners;
