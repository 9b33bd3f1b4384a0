package org.mailhygiene.milter.protocol;

/**
 * The {@code SMFIC_OPTNEG} packet and its reply: a protocol version, the actions ({@code SMFIF_*}) and the protocol
 * flags ({@code SMFIP_*}), three 4-byte big-endian numbers.
 *
 * <p>The MTA offers the highest version it speaks, every action it allows and every protocol flag it can honour;
 * the filter answers with a version not above the MTA's, a subset of the actions and a subset of the flags. Postfix
 * checks the first two and closes the connection on a conflict; it tolerates unknown flags. Anything after the
 * three numbers (a v6 filter's per-stage macro lists) is ignored by {@link #decode}.
 *
 * @param version the protocol version
 * @param actions the {@code SMFIF_*} bit set
 * @param protocol the {@code SMFIP_*} bit set
 */
public record OptionNegotiation(int version, int actions, int protocol) {

    /**
     * Reads an {@code SMFIC_OPTNEG} (or reply) packet.
     *
     * @param packet the packet
     * @return the values
     * @throws MilterProtocolException if it is not an option negotiation or its payload is shorter than 12 bytes
     */
    public static OptionNegotiation decode(MilterPacket packet) throws MilterProtocolException {
        if (packet.code() != MilterProtocol.SMFIC_OPTNEG) {
            throw new MilterProtocolException("expected SMFIC_OPTNEG, got " + MilterProtocol.name(packet.code()));
        }
        if (packet.length() < 12) {
            throw new MilterProtocolException("SMFIC_OPTNEG payload of " + packet.length() + " bytes, needs 12");
        }
        return new OptionNegotiation(packet.int32(0), packet.int32(4), packet.int32(8));
    }

    /**
     * This negotiation as a packet.
     *
     * @return the {@code SMFIC_OPTNEG}/{@code SMFIR_OPTNEG} packet
     */
    public MilterPacket toPacket() {
        byte[] p = new byte[12];
        put(p, 0, version);
        put(p, 4, actions);
        put(p, 8, protocol);
        return new MilterPacket(MilterProtocol.SMFIC_OPTNEG, p);
    }

    private static void put(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    /**
     * Whether a flag is set.
     *
     * @param flag an {@code SMFIP_*} value
     * @return whether all its bits are in {@link #protocol()}
     */
    public boolean has(int flag) {
        return (protocol & flag) == flag;
    }

    /**
     * Whether an action is allowed.
     *
     * @param action an {@code SMFIF_*} value
     * @return whether all its bits are in {@link #actions()}
     */
    public boolean allows(int action) {
        return (actions & action) == action;
    }
}
