package io.sparkdiffusion.cli;

/**
 * A mistake of the user's (a bad flag, config key or value, a missing file), reported as one line without a
 * stack trace and exit code 2.
 */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
