package org.mailhygiene.api.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenStoreTest {

    @Test
    void aLearnJournalKeyHoldsNoWhiteSpaceOrControlCharacter() {
        assertThat(TokenStore.checkKey("3f1c0a9e5b7d2c4e8f6a1b3c5d7e9f01"))
                .isEqualTo("3f1c0a9e5b7d2c4e8f6a1b3c5d7e9f01");
        assertThat(TokenStore.checkKey("k".repeat(128))).hasSize(128);
        assertThat(TokenStore.checkKey("schön-日本")).isEqualTo("schön-日本");
        // C0, DEL, C1 (NEL among them), and the space characters Character.isWhitespace leaves out
        for (String bad : new String[] {
            "a b",
            "a\tb",
            "a\u0000b",
            "a\u007fb",
            "a\u0080b",
            "a\u0085b",
            "a\u009fb",
            "a\u00a0b",
            "a\u2007b",
            "a\u202fb"
        }) {
            assertThatThrownBy(() -> TokenStore.checkKey(bad))
                    .as("%s", bad.codePointAt(1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> TokenStore.checkKey("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TokenStore.checkKey("k".repeat(129))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TokenStore.checkKey(null)).isInstanceOf(NullPointerException.class);
    }
}
