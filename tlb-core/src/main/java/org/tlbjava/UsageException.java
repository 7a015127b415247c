package org.tlbjava;

/**
 * A command used wrongly: an option or config value that is not allowed. The CLI exits with 2 for
 * it, as picocli does for its own usage errors; every other {@link TlbException} exits with 1.
 */
public class UsageException extends TlbException {
    public UsageException(String message) {
        super(message);
    }
}
