/** spark-diffusion: diffusion models trained and sampled as Apache Spark jobs. */
package io.sparkdiffusion;
