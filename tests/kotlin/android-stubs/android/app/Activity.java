// Stub for the compile check only (README.md): signatures from the API reference.
package android.app;

import android.content.ContentResolver;
import android.content.Context;
import android.content.Intent;
import android.content.res.AssetManager;
import android.os.Bundle;
import android.view.View;

public abstract class Activity extends Context {
    @Override public Context getApplicationContext() { throw new UnsupportedOperationException("stub"); }
    @Override public AssetManager getAssets() { throw new UnsupportedOperationException("stub"); }
    @Override public ContentResolver getContentResolver() { throw new UnsupportedOperationException("stub"); }
    @Override public int checkSelfPermission(String permission) { throw new UnsupportedOperationException("stub"); }
    @Override public void startActivity(Intent intent) {}
    protected void onCreate(Bundle savedInstanceState) {}
    protected void onDestroy() {}
    public boolean isDestroyed() { throw new UnsupportedOperationException("stub"); }
    public void setContentView(int layoutResID) {}
    public <T extends View> T findViewById(int id) { throw new UnsupportedOperationException("stub"); }
}
