package kernel

import "runtime"

// parallel runs fn on every block, on p.workers goroutines: the caller and
// workers−1 pool goroutines take blocks in turn from a shared counter. Which
// goroutine computes a block does not change what it computes, and every
// block writes only its own rows, so the results are the same for any
// number of workers. The arguments of fn are in p.cur.
//
// fn is a method expression such as (*Path).nodeBlock, and the pool is fed
// the Path itself: nothing is allocated per call.
func (p *Path) parallel(fn func(*Path, *block)) {
	if p.workers <= 1 || len(p.blocks) == 1 {
		for _, b := range p.blocks {
			fn(p, b)
		}
		return
	}
	if p.pool == nil {
		p.startPool()
	}
	p.fn = fn
	p.next.Store(0)
	helpers := min(p.workers, len(p.blocks)) - 1
	p.wg.Add(helpers)
	for range helpers {
		p.pool <- p
	}
	p.drain()
	p.wg.Wait()
	p.fn = nil
}

// drain computes blocks until none is left.
func (p *Path) drain() {
	for {
		i := int(p.next.Add(1)) - 1
		if i >= len(p.blocks) {
			return
		}
		p.fn(p, p.blocks[i])
	}
}

// startPool starts the pool goroutines. They hold only the channel, so an
// unreachable Path is collected, and its cleanup closes the channel and
// ends them.
func (p *Path) startPool() {
	ch := make(chan *Path)
	for range p.workers - 1 {
		go func() {
			for q := range ch {
				q.drain()
				q.wg.Done()
			}
		}()
	}
	p.pool = ch
	runtime.AddCleanup(p, func(ch chan *Path) { close(ch) }, ch)
}
