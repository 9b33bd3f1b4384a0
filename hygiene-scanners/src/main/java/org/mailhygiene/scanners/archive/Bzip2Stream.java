package org.mailhygiene.scanners.archive;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.ZipException;
import org.mailhygiene.internal.BulkInputStream;

/**
 * A bzip2 stream's content, decoded as it is read: each block's Huffman-coded MTF symbols, their run lengths, the
 * inverse Burrows-Wheeler transform and the final run-length coding, each block's CRC and the stream's combined CRC
 * checked. Streams written one after the other (pbzip2, {@code cat a.bz2 b.bz2}) are read as one content, as bunzip2
 * reads them, unless only one is asked for (a zip entry compressed with bzip2, method 12, is one stream and what
 * follows it is the zip's).
 *
 * <p>Bounded: a block holds at most what the stream's header says (100,000 to 900,000 bytes), and memory is one
 * block's (some 5 bytes a byte of it); the time is linear in the compressed and the decoded bytes. The expansion of the
 * final run-length coding (up to 51 times a block) is the caller's to limit, as it reads. Anything the format does not
 * allow (a wrong magic number, a Huffman code that is not one, a run beyond the block, a CRC that does not match, a
 * stream cut short) is a {@link ZipException} naming it; a randomised block (written by bzip2 0.9.0 and older only)
 * is refused as such. Not thread-safe.
 */
public final class Bzip2Stream extends BulkInputStream {
    private static final long BLOCK_MAGIC = 0x314159265359L;
    private static final long END_MAGIC = 0x177245385090L;
    private static final int MAX_CODE_LENGTH = 20;
    private static final int MAX_GROUPS = 6;
    private static final int GROUP_SIZE = 50;
    /** The most symbol selectors a block may give (the most 900,000 bytes' symbols in groups of 50 need, and more). */
    private static final int MAX_SELECTORS = 32767;

    private static final int[] CRC_TABLE = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int c = i << 24;
            for (int k = 0; k < 8; k++) {
                c = (c & 0x80000000) != 0 ? (c << 1) ^ 0x04c11db7 : c << 1;
            }
            CRC_TABLE[i] = c;
        }
    }

    private final InputStream in;
    private final boolean concatenated;
    private final byte[] inBuf = new byte[8192];
    private int inPos;
    private int inEnd;
    private long bitBuffer;
    private int bitCount;

    /** The stream's block size, bytes; 0 before its header. */
    private int blockMax;

    private int[] tt = new int[0];
    /** Where the next byte of the block's inverse transform is, and how many of its bytes are left. */
    private int tPos;

    private int blockLeft;
    private int blockCrcExpected;
    private int blockCrc;
    private int combinedCrc;
    private int combinedExpected;

    /** The last byte of the block's transform output, how many times in a row it came, and repeats still to give. */
    private int lastByte = -1;

    private int sameCount;
    private int repeatByte;
    private int repeatsLeft;
    private boolean ended;
    private boolean streamStarted;

    /**
     * A bzip2 stream to decode.
     *
     * @param in its bytes; read through a buffer of its own, so that bytes after the stream may have been read (see
     *     {@link #unusedInput}); not closed by {@link #close}
     * @param concatenated whether streams that follow the first are read too, as part of the same content
     */
    public Bzip2Stream(InputStream in, boolean concatenated) {
        this.in = in;
        this.concatenated = concatenated;
    }

    /**
     * The bytes read from the input past the (last) stream's end, once {@link #read} has returned -1: what follows the
     * stream.
     *
     * @return a new array, empty before the end
     */
    public byte[] unusedInput() {
        return ended ? Arrays.copyOfRange(inBuf, inPos, inEnd) : new byte[0];
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        int n = 0;
        while (n < len) {
            if (repeatsLeft > 0) {
                b[off + n++] = (byte) repeatByte;
                blockCrc = (blockCrc << 8) ^ CRC_TABLE[((blockCrc >>> 24) ^ repeatByte) & 0xff];
                repeatsLeft--;
                continue;
            }
            if (blockLeft == 0) {
                if (n > 0) {
                    return n;
                }
                if (!nextBlock()) {
                    return -1;
                }
                continue;
            }
            tPos = tt[tPos];
            int c = tPos & 0xff;
            tPos >>>= 8;
            blockLeft--;
            if (sameCount == 4) {
                // after four of a byte in a row, the next byte is how many more of it follow
                repeatByte = lastByte;
                repeatsLeft = c;
                sameCount = 0;
                lastByte = -1;
                continue;
            }
            sameCount = c == lastByte ? sameCount + 1 : 1;
            lastByte = c;
            b[off + n++] = (byte) c;
            blockCrc = (blockCrc << 8) ^ CRC_TABLE[((blockCrc >>> 24) ^ c) & 0xff];
        }
        return n;
    }

    /** Ends the current block (its CRC), reads the next; {@code false} at the content's end. */
    private boolean nextBlock() throws IOException {
        if (ended) {
            return false;
        }
        if (streamStarted) {
            if (~blockCrc != blockCrcExpected) {
                throw new ZipException("bzip2 block CRC does not match its data");
            }
            combinedCrc = ((combinedCrc << 1) | (combinedCrc >>> 31)) ^ blockCrcExpected;
        } else {
            streamHeader(true);
        }
        while (true) {
            long magic = bits(48);
            if (magic == BLOCK_MAGIC) {
                readBlock();
                return true;
            }
            if (magic != END_MAGIC) {
                throw new ZipException("bzip2 stream broken: no block or end where one should begin");
            }
            int expected = (int) bits(32);
            if (expected != combinedCrc) {
                throw new ZipException("bzip2 stream CRC does not match its data");
            }
            bitCount -= bitCount % 8; // the stream ends at a byte boundary
            if (!concatenated || !streamHeader(false)) {
                ended = true;
                return false;
            }
        }
    }

    /**
     * Reads a stream header ({@code BZh1} to {@code BZh9}).
     *
     * @param first whether it must be there (the first stream); otherwise the end of the input, or bytes that are not
     *     a header (left unread), end the content
     * @return whether a header was read
     */
    private boolean streamHeader(boolean first) throws IOException {
        if (!first) {
            // whole bytes only: what is in the bit buffer goes back in front of the byte buffer
            if (!ensureBytes(4)) {
                return false;
            }
            if (inBuf[inPos] != 'B' || inBuf[inPos + 1] != 'Z' || inBuf[inPos + 2] != 'h') {
                return false;
            }
            int level = inBuf[inPos + 3] - '0';
            if (level < 1 || level > 9) {
                return false;
            }
            inPos += 4;
            setLevel(level);
            return true;
        }
        if (bits(8) != 'B' || bits(8) != 'Z' || bits(8) != 'h') {
            throw new ZipException("not a bzip2 stream (no BZh header)");
        }
        int level = (int) bits(8) - '0';
        if (level < 1 || level > 9) {
            throw new ZipException("bzip2 block size " + level + " is not 1 to 9");
        }
        setLevel(level);
        streamStarted = true;
        return true;
    }

    private void setLevel(int level) {
        blockMax = level * 100_000;
        combinedCrc = 0;
        if (tt.length < blockMax) {
            tt = new int[blockMax];
        }
    }

    /** Whether at least {@code n} whole bytes are buffered, reading more as needed. */
    private boolean ensureBytes(int n) throws IOException {
        // called at a stream's end, which is at a byte boundary: the bit buffer is empty
        bitCount = 0;
        bitBuffer = 0;
        if (inEnd - inPos < n) {
            System.arraycopy(inBuf, inPos, inBuf, 0, inEnd - inPos);
            inEnd -= inPos;
            inPos = 0;
            while (inEnd < n) {
                int r = in.read(inBuf, inEnd, inBuf.length - inEnd);
                if (r < 0) {
                    return false;
                }
                inEnd += r;
            }
        }
        return true;
    }

    /** Decodes a block after its magic number: its symbols into {@link #tt}, ready for the inverse transform. */
    private void readBlock() throws IOException {
        blockCrcExpected = (int) bits(32);
        if (bits(1) != 0) {
            throw new ZipException("bzip2 randomised block (bzip2 0.9.0 and older) not supported");
        }
        int origPtr = (int) bits(24);
        // the byte values the block uses
        int[] seqToByte = new int[256];
        int inUse = 0;
        int ranges = (int) bits(16);
        for (int i = 0; i < 16; i++) {
            if ((ranges & (0x8000 >>> i)) != 0) {
                int used = (int) bits(16);
                for (int j = 0; j < 16; j++) {
                    if ((used & (0x8000 >>> j)) != 0) {
                        seqToByte[inUse++] = i * 16 + j;
                    }
                }
            }
        }
        if (inUse == 0) {
            throw new ZipException("bzip2 block uses no byte values");
        }
        int alphaSize = inUse + 2;
        int groups = (int) bits(3);
        int selectorCount = (int) bits(15);
        if (groups < 2 || groups > MAX_GROUPS || selectorCount < 1 || selectorCount > MAX_SELECTORS) {
            throw new ZipException("bzip2 block has " + groups + " tables and " + selectorCount + " selectors");
        }
        // the selectors, move-to-front coded in unary
        byte[] selectors = new byte[selectorCount];
        byte[] order = {0, 1, 2, 3, 4, 5};
        for (int i = 0; i < selectorCount; i++) {
            int j = 0;
            while (bits(1) == 1) {
                if (++j >= groups) {
                    throw new ZipException("bzip2 selector beyond the " + groups + " tables");
                }
            }
            byte v = order[j];
            System.arraycopy(order, 0, order, 1, j);
            order[0] = v;
            selectors[i] = v;
        }
        // the code lengths of each table, delta coded
        int[][] limit = new int[groups][];
        int[][] base = new int[groups][];
        int[][] perm = new int[groups][];
        int[] minLength = new int[groups];
        byte[] lengths = new byte[alphaSize];
        for (int t = 0; t < groups; t++) {
            int length = (int) bits(5);
            for (int s = 0; s < alphaSize; s++) {
                while (true) {
                    if (length < 1 || length > MAX_CODE_LENGTH) {
                        throw new ZipException("bzip2 code length " + length + " is not 1 to " + MAX_CODE_LENGTH);
                    }
                    if (bits(1) == 0) {
                        break;
                    }
                    length += bits(1) == 0 ? 1 : -1;
                }
                lengths[s] = (byte) length;
            }
            limit[t] = new int[MAX_CODE_LENGTH + 2];
            base[t] = new int[MAX_CODE_LENGTH + 2];
            perm[t] = new int[alphaSize];
            minLength[t] = canonical(lengths, alphaSize, limit[t], base[t], perm[t]);
        }
        // the symbols: move-to-front indices, runs of the front byte in bijective base 2 (RUNA, RUNB)
        int[] counts = new int[256];
        byte[] mtf = new byte[256];
        for (int i = 0; i < 256; i++) {
            mtf[i] = (byte) i;
        }
        int endOfBlock = inUse + 1;
        int n = 0;
        int group = -1;
        int groupLeft = 0;
        int run = 0;
        int runWeight = 1;
        int[] lim = null;
        int[] bas = null;
        int[] per = null;
        int minLen = 0;
        while (true) {
            if (groupLeft == 0) {
                if (++group >= selectorCount) {
                    throw new ZipException("bzip2 block has more symbols than its selectors cover");
                }
                int t = selectors[group];
                lim = limit[t];
                bas = base[t];
                per = perm[t];
                minLen = minLength[t];
                groupLeft = GROUP_SIZE;
            }
            groupLeft--;
            int length = minLen;
            int code = (int) bits(length);
            while (code > lim[length]) {
                if (++length > MAX_CODE_LENGTH) {
                    throw new ZipException("bzip2 block holds a code its table does not have");
                }
                code = (code << 1) | (int) bits(1);
            }
            int index = code - bas[length];
            if (index < 0 || index >= alphaSize) {
                throw new ZipException("bzip2 block holds a code its table does not have");
            }
            int symbol = per[index];
            if (symbol <= 1) {
                if (runWeight > blockMax) {
                    throw new ZipException("bzip2 run longer than its block");
                }
                run += (symbol + 1) * runWeight;
                runWeight <<= 1;
                if (run > blockMax) {
                    throw new ZipException("bzip2 run longer than its block");
                }
                continue;
            }
            if (run > 0) {
                if (n + run > blockMax) {
                    throw new ZipException("bzip2 block longer than its header's " + blockMax + " bytes");
                }
                int value = seqToByte[mtf[0] & 0xff];
                counts[value] += run;
                Arrays.fill(tt, n, n + run, value);
                n += run;
                run = 0;
                runWeight = 1;
            }
            if (symbol == endOfBlock) {
                break;
            }
            if (n >= blockMax) {
                throw new ZipException("bzip2 block longer than its header's " + blockMax + " bytes");
            }
            int j = symbol - 1;
            byte v = mtf[j];
            System.arraycopy(mtf, 0, mtf, 1, j);
            mtf[0] = v;
            int value = seqToByte[v & 0xff];
            counts[value]++;
            tt[n++] = value;
        }
        if (origPtr >= n) {
            throw new ZipException("bzip2 block's origin " + origPtr + " is beyond its " + n + " bytes");
        }
        // inverse Burrows-Wheeler transform: each byte's position in the sorted column, linked in tt's upper bits
        int[] next = new int[256];
        for (int i = 0, sum = 0; i < 256; i++) {
            next[i] = sum;
            sum += counts[i];
        }
        for (int i = 0; i < n; i++) {
            int value = tt[i] & 0xff;
            tt[next[value]++] |= i << 8;
        }
        tPos = tt[origPtr] >>> 8;
        blockLeft = n;
        blockCrc = -1;
        lastByte = -1;
        sameCount = 0;
    }

    /**
     * A table's canonical Huffman code from its code lengths: for each length, the largest code ({@code limit}), what
     * takes a code to its index among the symbols sorted by length ({@code base}), and those symbols ({@code perm}).
     *
     * @return the shortest length
     */
    private static int canonical(byte[] lengths, int alphaSize, int[] limit, int[] base, int[] perm)
            throws ZipException {
        int min = MAX_CODE_LENGTH;
        int max = 1;
        for (int s = 0; s < alphaSize; s++) {
            min = Math.min(min, lengths[s]);
            max = Math.max(max, lengths[s]);
        }
        int p = 0;
        for (int len = min; len <= max; len++) {
            for (int s = 0; s < alphaSize; s++) {
                if (lengths[s] == len) {
                    perm[p++] = s;
                }
            }
        }
        Arrays.fill(limit, -1);
        int code = 0;
        int index = 0;
        for (int len = min; len <= max; len++) {
            int count = 0;
            for (int s = 0; s < alphaSize; s++) {
                if (lengths[s] == len) {
                    count++;
                }
            }
            base[len] = code - index;
            code += count;
            index += count;
            limit[len] = code - 1;
            if (code > (1 << len)) {
                throw new ZipException("bzip2 code lengths over-subscribe their code");
            }
            code <<= 1;
        }
        return min;
    }

    /** The next {@code n} bits (up to 48), most significant first. */
    private long bits(int n) throws IOException {
        while (bitCount < n) {
            if (inPos == inEnd) {
                inPos = 0;
                inEnd = in.read(inBuf, 0, inBuf.length);
                if (inEnd <= 0) {
                    inEnd = 0;
                    throw new ZipException("bzip2 stream cut short");
                }
            }
            bitBuffer = (bitBuffer << 8) | (inBuf[inPos++] & 0xff);
            bitCount += 8;
        }
        bitCount -= n;
        return (bitBuffer >>> bitCount) & ((1L << n) - 1);
    }

    /** Does not close the input, which is the caller's. */
    @Override
    public void close() {
        tt = new int[0];
    }
}
