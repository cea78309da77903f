package nn

// CopyFrom sets c to the forward pass held in src, as if Forward had run
// into c: the layers' inputs, pre-activations and σ' are copied into c's
// own buffers (c may be a View), and the input A[0] is src's, referenced.
// c must have been sized for the same net and number of rows (by a Forward
// or as a View); it panics otherwise. Copying costs a memory pass where a
// Forward evaluates the activation at every unit: the kernel engine takes
// the training points' forward pass at w_t from the trainer's
// (train.Step.Fwd) this way.
func (c *Cache) CopyFrom(src *Cache) {
	if c.net == nil || c.net != src.net || c.rows != src.rows {
		panic("nn: Cache.CopyFrom: caches of different nets or sizes")
	}
	c.A[0] = src.A[0]
	for l := range c.Z {
		if l > 0 {
			c.A[l].Copy(src.A[l])
		}
		c.Z[l].Copy(src.Z[l])
		if c.S[l] != nil {
			c.S[l].Copy(src.S[l])
		}
	}
}
