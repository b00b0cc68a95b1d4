package connlimit

// StartWrite is what a Write does first: start a due write timeout.
func (c *Conn) StartWrite() { c.startWrite() }
