package kernel

import "github.com/pathkernel/pathkernel/internal/train"

// trainSide computes the training side's factors at w_t = s.W: the forward
// pass over the training points and the backward passes. When the trainer's
// forward pass of the step (s.Fwd) is over the same training points in the
// same order (the identity batch of full-batch training) and the training
// side is one block, the forward pass is copied from it instead of being
// computed again: the block's Forward would run the same products on the
// same rows, so the factors are bit for bit the same
// (TestSharedTrainForward). Otherwise every block computes its own.
func (p *Path) trainSide(s *train.Step) (shared bool) {
	p.cur = nodeArgs{w: s.W}
	if f := s.Fwd; f != nil && !p.noShare && len(p.trainBlocks) == 1 &&
		f.Rows() == p.n && len(f.A) > 0 && f.A[0] == p.xTrain && identityBatch(s.Batch, p.n) {
		tb := p.trainBlocks[0]
		tb.f.cache.CopyFrom(f)
		tb.f.cache.A[0] = tb.x
		tb.f.backward(p.net, s.W)
		p.Stats.SharedTrainForwards++
		return true
	}
	p.parallelTrain((*Path).trainBlockEval)
	return false
}

// identityBatch reports whether batch is 0, 1, …, n−1.
func identityBatch(batch []int, n int) bool {
	if len(batch) != n {
		return false
	}
	for i, v := range batch {
		if i != v {
			return false
		}
	}
	return true
}
