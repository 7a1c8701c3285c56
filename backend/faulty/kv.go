package faulty

import (
	"context"

	"github.com/dmplan/dmplan/backend"
)

type kv struct {
	f    *Backend
	next backend.KV
}

func (k *kv) Get(ctx context.Context, ns, key string) (e backend.Entry, err error) {
	err = k.f.call(KVGet, func() error {
		e, err = k.next.Get(ctx, ns, key)
		return err
	})
	return e, err
}

func (k *kv) GetMany(ctx context.Context, ns string, keys []string) (m map[string][]byte, err error) {
	err = k.f.call(KVGetMany, func() error {
		m, err = k.next.GetMany(ctx, ns, keys)
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (k *kv) Put(ctx context.Context, ns string, e backend.Entry) error {
	return k.f.call(KVPut, func() error { return k.next.Put(ctx, ns, e) })
}

func (k *kv) PutMany(ctx context.Context, ns string, es []backend.Entry) error {
	return k.f.call(KVPutMany, func() error { return k.next.PutMany(ctx, ns, es) })
}

func (k *kv) Delete(ctx context.Context, ns, key string) error {
	return k.f.call(KVDelete, func() error { return k.next.Delete(ctx, ns, key) })
}

func (k *kv) DeleteMany(ctx context.Context, ns string, keys []string) error {
	return k.f.call(KVDeleteMany, func() error { return k.next.DeleteMany(ctx, ns, keys) })
}

func (k *kv) List(ctx context.Context, ns, prefix, cursor string, limit int) (p backend.ListPage, err error) {
	err = k.f.call(KVList, func() error {
		p, err = k.next.List(ctx, ns, prefix, cursor, limit)
		return err
	})
	return p, err
}

func (k *kv) Namespaces(ctx context.Context) (out []backend.Namespace, err error) {
	err = k.f.call(KVNamespaces, func() error {
		out, err = k.next.Namespaces(ctx)
		return err
	})
	return out, err
}

func (k *kv) CreateNamespace(ctx context.Context, title string) (n backend.Namespace, err error) {
	err = k.f.call(KVCreateNS, func() error {
		n, err = k.next.CreateNamespace(ctx, title)
		return err
	})
	return n, err
}
