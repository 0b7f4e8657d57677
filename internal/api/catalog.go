package api

// registerCatalog adds the routes of catalog, content, geography and store pages (issue 3).
func registerCatalog(s *Server) error {
	return nil
}
