/**
 * A statistical spam classifier that reads Japanese mail as well as English:
 * {@link org.mailhygiene.scanners.bayes.Tokenizer} decodes every part and header (ISO-2022-JP with Microsoft's
 * CP50221 extensions, Shift_JIS/CP932, EUC-JP, either labelled as the other, UTF-8, UTF-7, undeclared raw JIS,
 * RFC 2047, quoted-printable, base64, HTML) into words and CJK bigrams;
 * {@link org.mailhygiene.scanners.bayes.BayesModel} learns token counts and combines token probabilities with
 * Robinson-Fisher chi-square; {@link org.mailhygiene.scanners.bayes.BayesScanner} turns that into explainable verdicts;
 * {@link org.mailhygiene.scanners.bayes.MailSources} reads training mail from .eml directories, Maildirs and mbox
 * files.
 */
package org.mailhygiene.scanners.bayes;
