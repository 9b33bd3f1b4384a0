/**
 * The relay's configuration file: a small, line-oriented {@code key = value} format
 * ({@link org.mailhygiene.smtp.config.ConfigFile}) validated at start into a
 * {@link org.mailhygiene.smtp.config.NodeConfig}, with errors that name the file, the line and the problem.
 */
package org.mailhygiene.smtp.config;
