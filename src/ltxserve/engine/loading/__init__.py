"""Loading a model folder: the checkpoint's tensors and metadata, key conversion to diffusers' names,
module configs, Gemma, the fp8 layout, the built-in size presets and downloads."""
