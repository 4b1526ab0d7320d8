package stepfunctions

import (
	"fmt"
)

// startExpress runs an Express execution in the background. With a data
// directory the execution is first journaled (durably), so that a restart
// runs it again if it had not finished.
func (s *Service) startExpress(sp *runSpec) error {
	if err := s.enter(); err != nil {
		return err
	}
	if s.journal != nil {
		err := s.journal.started(expressRecord{ARN: sp.arn, Name: sp.name, Machine: sp.m.ARN, TestCase: sp.testCase,
			Input: sp.raw, Trace: sp.trace, Start: sp.start})
		if err != nil {
			s.wg.Done()
			return fmt.Errorf("journal express execution %s: %w", sp.arn, err)
		}
	}
	go s.runExpress(sp)
	return nil
}

// runExpress runs an Express execution to its end. An execution cut short by
// Close stays unfinished in the journal.
func (s *Service) runExpress(sp *runSpec) {
	defer s.wg.Done()
	defer s.recoverExpress(sp)
	res := s.runExecution(s.runCtx, sp, nil)
	if res.status != StatusAborted && s.journal != nil {
		s.journal.ended(sp.arn)
	}
}

// rerunExpress runs again an Express execution the journal holds as
// unfinished, with its original ARN, name, input, trace header and start
// time, on the machine's current revision.
func (s *Service) rerunExpress(rec expressRecord) {
	s.mu.Lock()
	m, ok := s.machines[rec.Machine]
	closed := s.closed
	if ok && !closed {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if closed {
		return
	}
	if !ok {
		s.log.Warn("not running again an Express execution whose state machine is gone", "arn", rec.ARN, "machine", rec.Machine)
		s.journal.ended(rec.ARN)
		return
	}
	raw, input, err := decodeInput(&rec.Input)
	if err != nil {
		s.log.Warn("not running again an Express execution whose input does not decode", "arn", rec.ARN, "err", err)
		s.journal.ended(rec.ARN)
		s.wg.Done()
		return
	}
	sp := &runSpec{m: m, arn: rec.ARN, name: rec.Name, input: input, raw: raw, start: rec.Start, trace: rec.Trace, testCase: rec.TestCase}
	s.log.Info("running again an Express execution that had not finished", "arn", rec.ARN)
	go s.runExpress(sp)
}

// pendingExpress reports how many Express executions are journaled as
// unfinished (0 without a data directory).
func (s *Service) pendingExpress() int {
	if s.journal == nil {
		return 0
	}
	return s.journal.pending()
}

// enter counts a run that is starting in s.wg, which Close waits for, unless
// the service is closed.
func (s *Service) enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed()
	}
	s.wg.Add(1)
	return nil
}
