package org.tlbjava;

/**
 * An error caused by the user's input (a file, an option, a value) rather than by a bug. The CLI
 * prints its message alone, without a stack trace, and exits non-zero.
 */
public class TlbException extends RuntimeException {
    public TlbException(String message) {
        super(message);
    }

    public TlbException(String message, Throwable cause) {
        super(message, cause);
    }
}
