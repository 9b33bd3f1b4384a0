/**
 * The relay's configuration files: a small, line-oriented {@code key = value} format
 * ({@link org.mailhygiene.smtp.config.ConfigFile}) with typed getters whose errors name the file, the line and the
 * problem.
 */
package org.mailhygiene.smtp.config;
