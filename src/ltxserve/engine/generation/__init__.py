"""One generation: latent geometry, conditioning, schedules, sampling, guidance, the loop and decoding."""
