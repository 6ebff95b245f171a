/**
 * A small convolutional image classifier whose penultimate layer is the feature space of the quality metrics
 * ({@code io.sparkdiffusion.metrics}): the project's own stand-in for the Inception network behind FID, trained
 * by this engine on the dataset at hand.
 */
package io.sparkdiffusion.nn.classifier;
