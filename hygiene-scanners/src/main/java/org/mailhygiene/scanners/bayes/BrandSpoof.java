package org.mailhygiene.scanners.bayes;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mailhygiene.scanners.auth.TagList;
import org.mailhygiene.scanners.mime.TextDecoding;

/**
 * Whether a message's From display name names a well-known brand while its address is at none of that brand's
 * domains: "Costco Giveaway" from {@code CostcoFreeGift@tabupgrade.cfd}, "Amazon.co.jp" from {@code
 * support-amazon.jp@xvozbds.cn}, "Norton Security" from a joke site. Brands send from their own domains (a domain
 * that does not match fails DMARC at every big mailbox provider), so a brand's name over a stranger's address is an
 * impersonation, whatever the text says: {@link BayesScanner} calls such a message spam with the rule {@value #RULE},
 * even when the classifier scores it as ham (modern brand phishing copies the brand's own newsletter, which reads as
 * ham word by word).
 *
 * <p>The brands and their domains are a list ({@code brands.txt} beside this class; its header gives the format):
 * names matched as whole words of the display name, ignoring case, apostrophes, digits written for letters ({@code
 * C0STC0}), a capital I written for an l ({@code BIueCross}), text in parentheses (a person's affiliation, "Jane Roe
 * (Google)") and a part naming a shop ("XX 楽天市場店": a marketplace's shops send from their own domains); names that are also everyday words
 * or a person's name ("Chase", "Target", "Norton") count only when every other word of the display name is a service
 * word ("Support", "Rewards", "Online"...). A message is not a spoof when:
 *
 * <ul>
 *   <li>no brand is named, or the From field has no address;
 *   <li>the address is a mail system's ({@code postmaster}, {@code mailer-daemon}, Exchange's {@code
 *       MicrosoftExchange...} mailbox, whose delivery reports say "Microsoft Outlook"), is also a To or Cc address
 *       under the display name "Microsoft Outlook" (Outlook's test message, which an account's owner sends to itself;
 *       under any other name, mail to oneself is how a spam run hides its Bcc'd victims), or is the address of the
 *       mailing list that sent the message ({@code List-Post} or {@code List-Id}: a list rewriting a member's From as
 *       "Jane Roe via aws-users" speaks for a person, not for the brand);
 *   <li>a word of four or more letters of the display name is in the address's domain (the sender names itself:
 *       "Amazon Benefits at Fidelity" from {@code mail.fidelity.com}; the domain of an address shown in the display
 *       name is not read for this, so "Amazon.co.jp@jmmlm.com" from {@code jmmlm.com} is a spoof);
 *   <li>the From domain or the {@code d=} domain of a {@code DKIM-Signature} field (a well-formed tag list, {@link
 *       TagList}) holds a key of a brand named (letters and
 *       digits run together: {@code notification.intuit.com} for QuickBooks, even when the From address is the
 *       sending platform's), or of a platform that sends in other brands' names (review requests; hiring, survey
 *       and event platforms).
 * </ul>
 *
 * <p>A key matches more domains than the brand's, so a spoof from {@code paypal-verify.example} is not caught: the test
 * errs towards letting mail through, never towards calling a brand's own mail a spoof. The DKIM signature is not
 * verified here (the classifier makes no DNS queries): a forged {@code d=} only returns the message to the classifier's
 * verdict.
 *
 * <p>Linear in the From field (its display name read up to {@value #MAX_DISPLAY_CHARS} characters); the header's
 * other fields (DKIM signatures, {@code List-Post}, {@code List-Id}, To and Cc, each searched for the From address)
 * are read only when the display name names a brand. Immutable and thread-safe.
 */
final class BrandSpoof {

    /** The rule a spoof's verdict carries. */
    static final String RULE = "BAYES_BRAND_SPOOF";

    /**
     * The test's version, part of {@link BayesScanner#cacheIdentity()}: raise it whenever {@code brands.txt} or what
     * {@link #test} exempts changes (3: mailing lists and hiring, survey and event platforms exempted, mail to oneself
     * only under "Microsoft Outlook").
     */
    static final int VERSION = 3;

    /** Characters of a display name read: 200. */
    static final int MAX_DISPLAY_CHARS = 200;

    /**
     * The display name of Outlook's test message, which an account's owner sends to itself ("Microsoft Outlook" with
     * the owner's address). Only this name is exempted when the From address is also a To or Cc address: a spam run
     * that sends to itself and Bcc's its victims ("DHL GLOBAL" to "Recipients" at its own address) is still a spoof.
     */
    private static final List<String> OUTLOOK_TEST_SENDER = List.of("microsoft", "outlook");

    /** Shortest word of a display name that, found in the sender's domain, makes the sender name itself: 4. */
    static final int SELF_NAMING_WORD = 4;

    /** Words that may stand beside an ambiguous brand name ("Chase Online", "Apple Support", "Target Rewards"). */
    static final Set<String> SERVICE_WORDS = Set.of(
            "account",
            "accounts",
            "admin",
            "administrator",
            "alert",
            "alerts",
            "bank",
            "banking",
            "billing",
            "card",
            "cards",
            "care",
            "center",
            "centre",
            "cloud",
            "customer",
            "customers",
            "delivery",
            "department",
            "desk",
            "express",
            "help",
            "helpdesk",
            "id",
            "inc",
            "info",
            "mail",
            "mailbox",
            "member",
            "members",
            "membership",
            "noreply",
            "no-reply",
            "notice",
            "notification",
            "notifications",
            "office",
            "official",
            "online",
            "pay",
            "prime",
            "reward",
            "rewards",
            "secure",
            "security",
            "service",
            "services",
            "shop",
            "store",
            "support",
            "team",
            "update",
            "updates",
            "verification",
            "wallet",
            "webmail");

    /** One brand: its label (the first name of its line) and the keys its own domains hold. */
    record Brand(String label, List<String> keys) {}

    /** One way to write a brand: ASCII words matched as a phrase, or a non-ASCII text matched as a substring. */
    private record Name(Brand brand, List<String> words, String text, boolean ambiguous) {}

    private static final String RESOURCE = "brands.txt";

    private static final BrandSpoof DEFAULT = loadDefault();

    private final Map<String, List<Name>> byFirstWord;
    private final List<Name> substrings;
    private final List<String> platformKeys;
    private final int brands;

    private BrandSpoof(
            Map<String, List<Name>> byFirstWord, List<Name> substrings, List<String> platformKeys, int brands) {
        this.byFirstWord = byFirstWord;
        this.substrings = substrings;
        this.platformKeys = platformKeys;
        this.brands = brands;
    }

    /**
     * The shipped list.
     *
     * @return the test over {@code brands.txt}
     */
    static BrandSpoof defaults() {
        return DEFAULT;
    }

    /**
     * How many brands the list holds.
     *
     * @return the number of brand lines
     */
    int brands() {
        return brands;
    }

    private static BrandSpoof loadDefault() {
        try (InputStream in = BrandSpoof.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE + " beside " + BrandSpoof.class);
            }
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    lines.add(l);
                }
            }
            return parse(lines, RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /**
     * Parses a brand list (the format of {@code brands.txt}).
     *
     * @param lines the lines
     * @param source the list's name, for error messages
     * @return the test
     * @throws IllegalArgumentException naming the source and line for a line without {@code =}, without a key, or with
     *     an empty name
     */
    static BrandSpoof parse(List<String> lines, String source) {
        Map<String, List<Name>> byFirst = new HashMap<>();
        List<Name> substrings = new ArrayList<>();
        List<String> platforms = new ArrayList<>();
        int brands = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + ":" + (i + 1) + ": ";
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException(where + "expected NAME; NAME ... = KEY ..., found no '='");
            }
            List<String> keys = new ArrayList<>();
            for (String k : line.substring(eq + 1).strip().split("\\s+")) {
                String key = Tokenizer.compactLower(k);
                if (!key.isEmpty()) {
                    keys.add(key);
                }
            }
            if (keys.isEmpty()) {
                throw new IllegalArgumentException(where + "no domain key after '='");
            }
            String names = line.substring(0, eq).strip();
            if (names.isEmpty()) {
                platforms.addAll(keys);
                continue;
            }
            Brand brand = null;
            for (String raw : names.split(";")) {
                String n = raw.strip();
                boolean ambiguous = n.startsWith("?");
                String written = normalize(ambiguous ? n.substring(1).strip() : n);
                if (written.isEmpty()) {
                    throw new IllegalArgumentException(where + "an empty name");
                }
                if (brand == null) {
                    brand = new Brand(written, List.copyOf(keys));
                }
                if (isAscii(written)) {
                    List<String> words = words(written);
                    if (words.isEmpty()) {
                        throw new IllegalArgumentException(where + "the name '" + n + "' has no letter or digit");
                    }
                    byFirst.computeIfAbsent(words.get(0), w -> new ArrayList<>())
                            .add(new Name(brand, List.copyOf(words), null, ambiguous));
                } else {
                    substrings.add(new Name(brand, List.of(), written, ambiguous));
                }
            }
            brands++;
        }
        byFirst.replaceAll((w, l) -> List.copyOf(l));
        return new BrandSpoof(Map.copyOf(byFirst), List.copyOf(substrings), List.copyOf(platforms), brands);
    }

    /**
     * Tests a message's header.
     *
     * @param header the message's header fields ({@code null} for a message without a header: no spoof)
     * @return a description of the spoof ("From "Costco Giveaway" names Costco, but its address is at tabupgrade.cfd
     *     ..."), or empty when the message is not one
     */
    Optional<String> test(HeaderFields header) {
        if (header == null) {
            return Optional.empty();
        }
        Optional<String> from = header.first("from");
        if (from.isEmpty()) {
            return Optional.empty();
        }
        String value = TextDecoding.decodeHeader(from.get());
        Tokenizer.Address a = Tokenizer.senderAddress(value);
        if (a == null || a.start() == 0) {
            return Optional.empty();
        }
        int lt = value.lastIndexOf('<');
        int end = lt >= 0 && a.start() > lt ? lt : a.start();
        String shown = value.substring(0, Math.min(end, MAX_DISPLAY_CHARS));
        String domain = a.domain(value).toLowerCase(Locale.ROOT);
        String local = a.local(value).toLowerCase(Locale.ROOT);
        if (isMailSystem(local)) {
            return Optional.empty();
        }
        String display = withoutShops(withoutDomains(withoutParentheses(normalize(shown))));
        List<String> words = words(display);
        String domainKey = Tokenizer.compactLower(domain);
        for (String w : words) {
            if (w.length() >= SELF_NAMING_WORD && domainKey.contains(w)) {
                return Optional.empty();
            }
        }
        Set<Brand> named = new LinkedHashSet<>();
        for (int i = 0; i < words.size(); i++) {
            List<Name> candidates = byFirstWord.get(words.get(i));
            if (candidates == null) {
                continue;
            }
            for (Name n : candidates) {
                int len = n.words().size();
                if (i + len <= words.size()
                        && words.subList(i, i + len).equals(n.words())
                        && (!n.ambiguous() || onlyServiceWordsBeside(words, i, len))) {
                    named.add(n.brand());
                }
            }
        }
        String unspaced = withoutSpaces(display);
        for (Name n : substrings) {
            if (unspaced.contains(n.text()) && (!n.ambiguous() || words.isEmpty())) {
                named.add(n.brand());
            }
        }
        if (named.isEmpty()
                || sentByAList(header, local, domain)
                || (OUTLOOK_TEST_SENDER.equals(words) && sentToItself(header, local + "@" + domain))) {
            return Optional.empty(); // the header's other fields are read only once a brand is named
        }
        List<String> sending = new ArrayList<>();
        sending.add(domainKey);
        for (HeaderFields.Field f : header.all()) {
            if (f.name().equals("dkim-signature")) {
                TagList.parse(f.value())
                        .list()
                        .flatMap(t -> t.get("d"))
                        .ifPresent(d -> sending.add(Tokenizer.compactLower(d)));
            }
        }
        for (String s : sending) {
            for (String k : platformKeys) {
                if (s.contains(k)) {
                    return Optional.empty();
                }
            }
            for (Brand b : named) {
                for (String k : b.keys()) {
                    if (s.contains(k)) {
                        return Optional.empty();
                    }
                }
            }
        }
        Brand first = named.iterator().next();
        return Optional.of("From \"" + shown.strip().replace("\"", "") + "\" names " + first.label()
                + ", but its address is at " + domain + ", no domain of " + first.label()
                + (sending.size() > 1 ? " (nor is a DKIM signer)" : ""));
    }

    /**
     * A mail system's own mailbox: {@code postmaster}, {@code mailer-daemon}, or Exchange's system mailbox ({@code
     * MicrosoftExchange} and a hexadecimal id), which writes the delivery reports an Exchange server signs "Microsoft
     * Outlook".
     */
    static boolean isMailSystem(String local) {
        return local.equals("postmaster") || local.equals("mailer-daemon") || local.startsWith("microsoftexchange");
    }

    /**
     * Whether the From address is also a To or Cc address: a message its sender wrote to itself (Outlook's test
     * message when an account is set up comes "From: Microsoft Outlook" with the user's own address).
     */
    private static boolean sentToItself(HeaderFields header, String address) {
        for (HeaderFields.Field f : header.all()) {
            if ((f.name().equals("to") || f.name().equals("cc")) && holdsAddress(f.value(), address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the From address is the address of the mailing list that sent the message: its {@code List-Post}
     * ({@code <mailto:ADDRESS>}) or its {@code List-Id} ({@code <LOCAL.DOMAIN>}, as Mailman and Google Groups write
     * it). A list that rewrites a member's From for DMARC ("Jane Roe via aws-users" with the list's own address,
     * "'Jane Roe' via Amazon Pay Developers" from a Google Groups address) names a person or a list, not the brand
     * speaking. Like a DKIM signer, a forged field only returns the message to the classifier.
     */
    private static boolean sentByAList(HeaderFields header, String local, String domain) {
        String listId = "<" + local + "." + domain + ">";
        for (HeaderFields.Field f : header.all()) {
            if (f.name().equals("list-post") && holdsAddress(f.value(), "mailto:" + local + "@" + domain)) {
                return true;
            }
            if (f.name().equals("list-id") && f.value().toLowerCase(Locale.ROOT).contains(listId)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code text} holds {@code address} (lower case) as a whole address, not part of a longer one. */
    private static boolean holdsAddress(String text, String address) {
        String v = text.toLowerCase(Locale.ROOT);
        for (int i = v.indexOf(address); i >= 0; i = v.indexOf(address, i + 1)) {
            int end = i + address.length();
            if ((i == 0 || !isAddressChar(v.charAt(i - 1))) && (end == v.length() || !isAddressChar(v.charAt(end)))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isAddressChar(char c) {
        return Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_' || c == '+';
    }

    private static boolean onlyServiceWordsBeside(List<String> words, int start, int len) {
        if (words.size() == len) {
            return false; // the name alone ("Chase", "Target"): a person or a word as likely as the brand
        }
        for (int j = 0; j < words.size(); j++) {
            if ((j < start || j >= start + len) && !SERVICE_WORDS.contains(words.get(j))) {
                return false;
            }
        }
        return true;
    }

    /**
     * NFKC (full-width letters and parentheses become ASCII), a capital I inside a word beside a lower-case letter read as
     * an l ({@code BIueCross}, {@code PoIicy}: the two look alike in most fonts; not in {@code SBI} or {@code AIG}),
     * Cyrillic and Greek lookalikes inside a Latin word read as Latin ({@link #withoutLookalikes}), lower case, without
     * apostrophes.
     */
    static String normalize(String s) {
        String n = Normalizer.normalize(s, Normalizer.Form.NFKC);
        StringBuilder b = new StringBuilder(n.length());
        for (int i = 0; i < n.length(); i++) {
            char c = n.charAt(i);
            if (c == 'I'
                    && i > 0
                    && Character.isLetter(n.charAt(i - 1))
                    && (Character.isLowerCase(n.charAt(i - 1))
                            || (i + 1 < n.length() && Character.isLowerCase(n.charAt(i + 1))))) {
                b.append('l');
            } else if (c != '\'' && c != '\u2019' && c != '\u2018' && c != '`') {
                b.append(c);
            }
        }
        return withoutLookalikes(b).toLowerCase(Locale.ROOT);
    }

    /** Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables), with the Latin letter each imitates. */
    private static final String LOOKALIKES =
            "аaеeоoрpсcуyхxіiјjѕsԁdһhӏlԛqԝwАAВBЕEКKМMНHОOРPСCТTХXУYІIЈJЅS" + "ΑAΒBΕEΖZΗHΙIΚKΜMΝNΟOΡPΤTΥYΧXοoνvιi";

    /**
     * A word of Latin letters with a Cyrillic or Greek lookalike among them ({@code PаyPal} with a Cyrillic а) read
     * as the Latin word it imitates; a word wholly in another script (a Russian or Greek name) is left as written.
     */
    static String withoutLookalikes(CharSequence s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        int n = s.length();
        while (i < n) {
            if (!Character.isLetter(s.charAt(i))) {
                out.append(s.charAt(i++));
                continue;
            }
            int start = i;
            boolean latin = false;
            boolean lookalike = false;
            while (i < n && Character.isLetter(s.charAt(i))) {
                char c = s.charAt(i);
                latin |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                lookalike |= LOOKALIKES.indexOf(c) >= 0 && LOOKALIKES.indexOf(c) % 2 == 0;
                i++;
            }
            for (int j = start; j < i; j++) {
                char c = s.charAt(j);
                int k = latin && lookalike ? LOOKALIKES.indexOf(c) : -1;
                out.append(k >= 0 && k % 2 == 0 ? LOOKALIKES.charAt(k + 1) : c);
            }
        }
        return out.toString();
    }

    /**
     * The text without the domain of an address it shows ({@code amazon.co.jp@jmmlm.com} keeps {@code amazon.co.jp@}):
     * a display name holding the sender's own domain would otherwise read as the sender naming itself.
     */
    static String withoutDomains(String s) {
        StringBuilder b = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i++);
            b.append(c);
            if (c == '@') {
                while (i < s.length()
                        && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.' || s.charAt(i) == '-')) {
                    i++;
                }
            }
        }
        return b.toString();
    }

    /**
     * The text without its space-separated parts that name a shop ({@code 店}, {@code ショップ}): "XX 楽天市場店",
     * "ドコモショップ 渋谷店", "Amazon店" are a marketplace's or a carrier's shops, which send from their own domains.
     */
    static String withoutShops(String s) {
        if (s.indexOf('店') < 0 && !s.contains("ショップ")) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (String part : s.split("\\s+")) {
            if (part.indexOf('店') < 0 && !part.contains("ショップ")) {
                b.append(part).append(' ');
            }
        }
        return b.toString();
    }

    private static String withoutSpaces(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isWhitespace(s.charAt(i))) {
                b.append(s.charAt(i));
            }
        }
        return b.toString();
    }

    /** The text without what stands in parentheses (an unclosed one runs to the end). */
    static String withoutParentheses(String s) {
        StringBuilder b = new StringBuilder(s.length());
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(') {
                depth++;
                b.append(' ');
            } else if (c == ')' && depth > 0) {
                depth--;
            } else if (depth == 0) {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * The words of a normalised text: runs of ASCII letters, digits and {@code &}; in a run with a letter, the digits
     * 0, 1, 3, 4 and 5 read as o, l, e, a and s ({@code c0stc0} is {@code costco}, {@code 365} stays).
     */
    static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && !isWordChar(s.charAt(i))) {
                i++;
            }
            int start = i;
            boolean letter = false;
            while (i < n && isWordChar(s.charAt(i))) {
                letter |= s.charAt(i) >= 'a' && s.charAt(i) <= 'z';
                i++;
            }
            if (i > start) {
                String w = s.substring(start, i);
                out.add(letter ? unleet(w) : w);
            }
        }
        return out;
    }

    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '&';
    }

    private static String unleet(String w) {
        char[] cs = w.toCharArray();
        for (int i = 0; i < cs.length; i++) {
            cs[i] = switch (cs[i]) {
                case '0' -> 'o';
                case '1' -> 'l';
                case '3' -> 'e';
                case '4' -> 'a';
                case '5' -> 's';
                default -> cs[i];
            };
        }
        return new String(cs);
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }
}
