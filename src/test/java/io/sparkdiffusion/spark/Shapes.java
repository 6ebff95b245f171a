package io.sparkdiffusion.spark;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** A toy image dataset: small gray images of a few distinct shapes at random positions. */
final class Shapes {
    static final int NUM_SHAPES = 3;

    private Shapes() {
    }

    /**
     * Image {@code i}: shape {@code i % 3} (0 a 2-pixel-wide horizontal bar, 1 a vertical bar, 2 a 4 x 4 square
     * outline) on black, shifted by up to 1 pixel from the centre; values 0 (black) or 255 (white).
     */
    static int[][] image(int i, int size, SplittableRandom r) {
        int[][] px = new int[size][size];
        int dy = r.nextInt(3) - 1;
        int dx = r.nextInt(3) - 1;
        int c = size / 2;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int yy = y - dy;
                int xx = x - dx;
                boolean on = switch (i % NUM_SHAPES) {
                    case 0 -> (yy == c - 1 || yy == c) && xx >= 1 && xx < size - 1;
                    case 1 -> (xx == c - 1 || xx == c) && yy >= 1 && yy < size - 1;
                    default -> (yy == c - 2 || yy == c + 1) && xx >= c - 2 && xx <= c + 1
                            || (xx == c - 2 || xx == c + 1) && yy >= c - 2 && yy <= c + 1;
                };
                px[y][x] = on ? 255 : 0;
            }
        }
        return px;
    }

    /** Writes {@code n} shape images as gray PNGs into {@code dir}. */
    static void writePngs(Path dir, int n, int size, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        java.nio.file.Files.createDirectories(dir);
        for (int i = 0; i < n; i++) {
            int[][] px = image(i, size, r);
            BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    img.getRaster().setSample(x, y, 0, px[y][x]);
                }
            }
            ImageIO.write(img, "png", dir.resolve(String.format("shape-%03d.png", i)).toFile());
        }
    }

    /** {@code n} shape images as CHW floats in [-1, 1]. */
    static float[][] tensors(int n, int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            int[][] px = image(i, size, r);
            out[i] = new float[size * size];
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    out[i][y * size + x] = px[y][x] / 127.5f - 1;
                }
            }
        }
        return out;
    }
}
