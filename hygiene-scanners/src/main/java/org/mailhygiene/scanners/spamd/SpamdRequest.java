package org.mailhygiene.scanners.spamd;

import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.MessageContent;

/**
 * One request to spamd: the command, the message (every command but {@link SpamdCommand#PING}), an optional
 * {@code User} overriding the client's, and the learning instructions of a {@link SpamdCommand#TELL}.
 *
 * <p>Immutable and thread-safe as long as the content is.
 *
 * @param command the method
 * @param content the message; present exactly when the command {@linkplain SpamdCommand#sendsBody() sends a body}
 * @param user a per-request {@code User} header value; empty to use the client's setting
 * @param tell the learning instructions; present exactly for {@link SpamdCommand#TELL}
 */
public record SpamdRequest(
        SpamdCommand command, Optional<MessageContent> content, Optional<String> user, Optional<TellRequest> tell) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if the content or tell instructions do not fit the command, or the user name
     *     is blank or holds control characters, spaces or non-ASCII characters
     */
    public SpamdRequest {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(tell, "tell");
        if (command.sendsBody() != content.isPresent()) {
            throw new IllegalArgumentException(
                    command + (command.sendsBody() ? " needs a message" : " takes no message"));
        }
        if ((command == SpamdCommand.TELL) != tell.isPresent()) {
            throw new IllegalArgumentException(
                    command == SpamdCommand.TELL ? "TELL needs a TellRequest" : command + " takes no TellRequest");
        }
        user.ifPresent(SpamdRequest::checkUser);
    }

    /**
     * A request for a message-carrying command other than TELL.
     *
     * @param command CHECK, SYMBOLS, REPORT, REPORT_IFSPAM, PROCESS or HEADERS
     * @param content the message
     * @return a new request
     * @throws IllegalArgumentException for PING or TELL
     */
    public static SpamdRequest of(SpamdCommand command, MessageContent content) {
        return new SpamdRequest(command, Optional.of(content), Optional.empty(), Optional.empty());
    }

    /**
     * A PING request.
     *
     * @return a new request
     */
    public static SpamdRequest ping() {
        return new SpamdRequest(SpamdCommand.PING, Optional.empty(), Optional.empty(), Optional.empty());
    }

    /**
     * A TELL request.
     *
     * @param content the message to learn or forget
     * @param tell what to do with it
     * @return a new request
     */
    public static SpamdRequest tell(MessageContent content, TellRequest tell) {
        return new SpamdRequest(SpamdCommand.TELL, Optional.of(content), Optional.empty(), Optional.of(tell));
    }

    /**
     * A copy with a {@code User} header.
     *
     * @param name the user whose preferences spamd should apply
     * @return a new request
     * @throws IllegalArgumentException if the name is blank or holds control characters, spaces or non-ASCII
     */
    public SpamdRequest withUser(String name) {
        return new SpamdRequest(command, content, Optional.of(name), tell);
    }

    static void checkUser(String name) {
        Objects.requireNonNull(name, "user");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("spamd user name must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw new IllegalArgumentException(
                        "spamd user name must be printable ASCII without spaces: " + SpamdReplies.printable(name));
            }
        }
    }
}
