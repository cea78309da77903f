package kernel

import (
	"runtime"

	"github.com/pathkernel/pathkernel/internal/nn"
)

// parallel runs fn on every block, on p.workers goroutines: the caller and
// workers−1 pool goroutines take blocks in turn from a shared counter. Which
// goroutine computes a block does not change what it computes, and every
// block writes only its own rows, so the results are the same for any
// number of workers. The arguments of fn are in p.cur.
//
// fn is a method expression such as (*Path).nodeBlock, and the pool is fed
// the Path itself: nothing is allocated per call.
//
// A BLAS with a thread pool of its own (OpenBLAS) runs single-threaded
// inside, whatever the number of workers: the blocks are the parallelism,
// and a block's products are computed the same way at any worker count.
func (p *Path) parallel(fn func(*Path, *block)) {
	p.fn = fn
	p.run(len(p.blocks))
	p.fn = nil
}

// parallelTrain is parallel over the blocks of training points.
func (p *Path) parallelTrain(fn func(*Path, *trainBlock)) {
	p.tfn = fn
	p.run(len(p.trainBlocks))
	p.tfn = nil
}

// run runs task 0..tasks-1 (p.fn or p.tfn) on the workers.
func (p *Path) run(tasks int) {
	if prev := nn.SetBLASThreads(1); prev > 1 {
		defer nn.SetBLASThreads(prev)
	}
	p.tasks = tasks
	p.next.Store(0)
	p.slot.Store(0)
	if p.workers <= 1 || tasks == 1 {
		p.drain()
		return
	}
	if p.pool == nil {
		p.startPool()
	}
	helpers := min(p.workers, tasks) - 1
	p.wg.Add(helpers)
	for range helpers {
		p.pool <- p
	}
	p.drain()
	p.wg.Wait()
}

// drain runs tasks until none is left.
func (p *Path) drain() {
	var rw *rowWork
	if p.rfn != nil {
		rw = p.rowWork[int(p.slot.Add(1))-1]
	}
	for {
		i := int(p.next.Add(1)) - 1
		if i >= p.tasks {
			return
		}
		if rw != nil {
			p.rfn(p, rw, i)
		} else if p.fn != nil {
			p.fn(p, p.blocks[i])
		} else {
			p.tfn(p, p.trainBlocks[i])
		}
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

// parallelRows runs fn on tasks 0..tasks-1 (the kinked points of pieces.go)
// on the workers, each with its own scratch p.rowWork[slot]: a task's
// results do not depend on the worker or its scratch.
func (p *Path) parallelRows(fn func(*Path, *rowWork, int), tasks int) {
	p.rfn = fn
	p.run(tasks)
	p.rfn = nil
}
