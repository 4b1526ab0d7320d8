package sample

// Test files are not scanned.
func testOnly() error { return sampleErrors.New("OnlyInTests", "x") }
