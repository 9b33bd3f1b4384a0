package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.MessageContent;

/** {@link Tokenizer.Address}: finds what the regular expression it replaces finds, in one pass. */
class TokenizerAddressTest {
    /**
     * The specification: the expression the tokenizer used until version 7, with letters and digits outside ASCII
     * (version 20), and (version 21) neither a letter of a script written without spaces right before an ASCII
     * character of the local part nor a top-level domain mixing ASCII and other letters.
     */
    private static final Pattern SPEC = Pattern.compile("((?:[A-Za-z0-9._%+'-]"
            + "|[\\p{IsHan}\\p{IsHiragana}\\p{IsKatakana}\\p{IsHangul}\\p{IsThai}\\u30fc\\uff70&&[\\p{L}\\p{Nd}]]"
            + "(?![A-Za-z0-9._%+'-])"
            + "|[\\p{L}\\p{Nd}&&[^\\x00-\\x7F]&&[^\\p{IsHan}\\p{IsHiragana}\\p{IsKatakana}\\p{IsHangul}\\p{IsThai}"
            + "\\u30fc\\uff70]])+)@"
            + "((?:[A-Za-z0-9.-]|[\\p{L}\\p{Nd}&&[^\\x00-\\x7F]])+\\.(?:[A-Za-z]{2,}|[\\p{L}&&[^\\x00-\\x7F]]{2,}))");

    /**
     * Characters that make the interesting cases: every class boundary of the expression (since tokenizer 20 letters
     * and digits outside ASCII too: {@code é}, {@code 公}, the Arabic-Indic digit three, {@code ·}, which is
     * neither, and since tokenizer 21 the prolonged sound mark {@code ー} of Katakana).
     */
    private static final String ALPHABET = "ab.@-_'%+1 <>Z\"\u00e9\u516c\u0663\u00b7\u30fc";

    private static List<String> bySpec(String v, int from) {
        List<String> out = new ArrayList<>();
        Matcher m = SPEC.matcher(v);
        int at = from;
        while (at <= v.length() && m.find(at)) {
            out.add(m.start() + ":" + m.group(1) + "@" + m.group(2));
            at = m.end();
        }
        return out;
    }

    private static List<String> byFinder(String v, int from) {
        List<String> out = new ArrayList<>();
        for (Tokenizer.Address a = Tokenizer.Address.find(v, from); a != null; a = Tokenizer.Address.find(v, a.end())) {
            out.add(a.start() + ":" + a.local(v) + "@" + a.domain(v));
        }
        return out;
    }

    @Test
    void findsWhatTheExpressionFinds() {
        qt().withExamples(5_000)
                .forAll(
                        lists().of(integers().between(0, ALPHABET.length() - 1)).ofSizeBetween(0, 40),
                        integers().between(0, 40))
                .checkAssert((cs, from) -> {
                    StringBuilder b = new StringBuilder();
                    cs.forEach(i -> b.append(ALPHABET.charAt(i)));
                    String v = b.toString();
                    int f = Math.min(from, v.length());
                    assertThat(byFinder(v, f)).as("in [%s] from %d", v, f).isEqualTo(bySpec(v, f));
                });
    }

    @Test
    void examples() {
        assertThat(byFinder("PayPal <service@paypal.example>", 0)).containsExactly("8:service@paypal.example");
        assertThat(byFinder("x@foo@bar.co.uk1 a@b.c", 0)).containsExactly("2:foo@bar.co.uk");
        assertThat(byFinder("a@b.cc.d1", 0)).containsExactly("0:a@b.cc");
        assertThat(byFinder("@x.org a@.org a@b.c", 0)).isEmpty();
        assertThat(byFinder("jo@corp.example", 3)).isEmpty();
        assertThat(byFinder("jo@corp.example", 1)).containsExactly("1:o@corp.example");
        // SMTPUTF8 addresses (session 53: until tokenizer 20 a letter outside ASCII ended the address)
        assertThat(byFinder("J\u00f6rg <j\u00f6rg@m\u00fcller-technik.de>", 0))
                .containsExactly("6:j\u00f6rg@m\u00fcller-technik.de");
        assertThat(byFinder("\u5f20\u4f1f@\u4f8b\u5b50.\u516c\u53f8", 0))
                .containsExactly("0:\u5f20\u4f1f@\u4f8b\u5b50.\u516c\u53f8");
    }

    /**
     * A review (session 53): Japanese and Chinese are written without spaces, so a name or honorific runs into the
     * address ({@code 山田様yamada@example.jp}) and a word follows it ({@code example.jpより}); tokenizer 20 took them
     * into the local part and the top-level domain. A letter of such a script before an ASCII character of the local
     * part ends the name, and a top-level domain is ASCII or not, not both.
     */
    @Test
    void aNameOrWordInAScriptWithoutSpacesIsNotPartOfTheAddress() {
        assertThat(byFinder("\u5c71\u7530\u69d8yamada@example.jp", 0)).containsExactly("3:yamada@example.jp");
        assertThat(byFinder("yamada@example.jp\u3088\u308a", 0)).containsExactly("0:yamada@example.jp");
        assertThat(byFinder("\u30b3\u30fc\u30d2\u30fcshop@example.jp\u5b9b", 0)).containsExactly("4:shop@example.jp");
        assertThat(byFinder("\uc0ac\uc7a5\ub2d8kim@example.kr", 0)).containsExactly("3:kim@example.kr");
        // an address in the script itself is whole, as is one mixing Latin letters
        assertThat(byFinder("\u5c71\u7530@\u4f8b\u3048.\u30c6\u30b9\u30c8", 0))
                .containsExactly("0:\u5c71\u7530@\u4f8b\u3048.\u30c6\u30b9\u30c8");
        assertThat(byFinder("yamada\u5c71\u7530@example.jp", 0)).containsExactly("0:yamada\u5c71\u7530@example.jp");
        assertThat(byFinder("j\u00f6rg@example.de\u00e9", 0)).containsExactly("0:j\u00f6rg@example.de");
    }

    @Test
    void longRunsOfAddressCharactersCostOnePass() throws Exception {
        // with the expression, each of these took 10-28 s; a linear finder needs milliseconds, so a timeout of many
        // seconds on a loaded machine still tells the two apart
        String x = "x".repeat(60_000);
        Tokenizer tokenizer = Tokenizer.create();
        long start = System.nanoTime();
        for (String m : List.of(
                "From: " + x + " <s@t.example>\r\nSubject: hi\r\n\r\nhi\r\n",
                "From: " + x + "\r\nReply-To: " + x + "@" + x + "\r\nSubject: hi\r\n\r\nhi\r\n",
                "From: s@t.example\r\nReturn-Path: " + "a.".repeat(30_000) + "\r\n\r\nhi\r\n")) {
            Set<String> t = tokenizer.tokenize(MessageContent.ofBytes(m.getBytes(StandardCharsets.ISO_8859_1)));
            assertThat(t).isNotEmpty();
        }
        assertThat((System.nanoTime() - start) / 1_000_000).as("milliseconds").isLessThan(5_000);
    }
}
