package io.sparkdiffusion.spark;

/**
 * An input row that is not a usable image, with the problem in words ("bytes that cannot be decoded as PNG or
 * JPEG: ..."); {@link ImageTensorizer} turns it into an error, a skipped row or a null per {@code handleInvalid}.
 */
final class InvalidImageException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidImageException(String problem) {
        super(problem, null, false, false);
    }
}
