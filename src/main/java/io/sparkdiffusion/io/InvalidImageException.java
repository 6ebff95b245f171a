package io.sparkdiffusion.io;

/**
 * An input row that is not a usable image, with the problem in words ("bytes that cannot be decoded as PNG or
 * JPEG: ..."); {@code spark.ImageTensorizer} turns it into an error, a skipped row or a null per {@code handleInvalid}.
 */
public final class InvalidImageException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidImageException(String problem) {
        super(problem, null, false, false);
    }
}
