package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link SignatureSpec#headerData} picks the signed fields in time linear in the fields plus the {@code h=} names, and
 * picks exactly the fields the earlier scan-per-name code picked.
 */
class HeaderDataLinearTest {

    /** Field and h= names, with case variants and Latin-1 letters whose case mapping leaves Latin-1. */
    private static final List<String> NAMES = List.of(
            "From", "from", "FROM", "To", "to", "Subject", "X-\u00b5", "x-\u039c", "X-\u00ff", "X-\u0178", "Cc");

    /** The earlier code, the specification: for each name, scan the fields from the bottom for the next instance. */
    private static byte[] reference(
            List<HeaderField> fields, List<String> names, Canonicalization canon, String signatureFieldRaw) {
        StringBuilder sb = new StringBuilder(1024);
        Map<String, Integer> used = new HashMap<>();
        for (String name : names) {
            int skip = used.getOrDefault(name, 0);
            int seen = 0;
            for (int i = fields.size() - 1; i >= 0; i--) {
                HeaderField f = fields.get(i);
                if (f.is(name)) {
                    if (seen++ == skip) {
                        sb.append(canon.header(f.raw())).append("\r\n");
                        break;
                    }
                }
            }
            used.put(name, skip + 1);
        }
        sb.append(canon.header(SignatureSpec.withoutSignatureValue(signatureFieldRaw)));
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void picksTheSameFieldsAsTheScanPerName() {
        qt().withExamples(500)
                .forAll(
                        lists().of(integers().between(0, NAMES.size() - 1)).ofSizeBetween(0, 30),
                        lists().of(integers().between(0, NAMES.size() - 1)).ofSizeBetween(0, 30))
                .checkAssert((fieldNames, hNames) -> {
                    List<HeaderField> fields = new ArrayList<>();
                    for (int k = 0; k < fieldNames.size(); k++) {
                        fields.add(HeaderField.of(NAMES.get(fieldNames.get(k)), "value " + k));
                    }
                    List<String> names = hNames.stream().map(NAMES::get).toList();
                    String sig = "DKIM-Signature: v=1; h=from; b=abc; bh=def";
                    for (Canonicalization c : Canonicalization.values()) {
                        assertThat(SignatureSpec.headerData(fields, names, c, sig))
                                .isEqualTo(reference(fields, names, c, sig));
                    }
                });
    }

    @Test
    void caseKeyAgreesWithEqualsIgnoreCaseOnLatin1() {
        for (char a = 0; a <= 0xff; a++) {
            for (char b = 0; b <= 0xff; b++) {
                String x = String.valueOf(a);
                String y = String.valueOf(b);
                assertThat(SignatureSpec.caseKey(x).equals(SignatureSpec.caseKey(y)))
                        .as("%04x %04x", (int) a, (int) b)
                        .isEqualTo(x.equalsIgnoreCase(y));
            }
        }
    }

    @Test
    void manyNamesOverManyFieldsIsLinear() {
        // 32768 fields and 65536 h= names (a header section of about 256 KB): the scan per name took about 15 s
        List<HeaderField> fields = new ArrayList<>(Collections.nCopies(32768, new HeaderField("a", "a:")));
        List<String> missing = Collections.nCopies(65536, "x");
        List<String> present = Collections.nCopies(65536, "a");
        long start = System.nanoTime();
        byte[] none = SignatureSpec.headerData(fields, missing, Canonicalization.RELAXED, "DKIM-Signature: b=");
        byte[] all = SignatureSpec.headerData(fields, present, Canonicalization.RELAXED, "DKIM-Signature: b=");
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(new String(none, StandardCharsets.ISO_8859_1)).isEqualTo("dkim-signature:b=");
        assertThat(all.length).isEqualTo(32768 * "a:\r\n".length() + "dkim-signature:b=".length());
        assertThat(ms).as("milliseconds").isLessThan(3000);
    }
}
